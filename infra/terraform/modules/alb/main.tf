# One internet-facing ALB for every service. Services attach listener rules to `listener_arn`.
# With a certificate: HTTPS on 443 and HTTP on 80 only redirects. Without one: HTTP on 80,
# which the root module allows only for local or with an explicit allow_http = true.

locals {
  https = var.https # known at plan time; certificate_arn may not be (a certificate being validated)
  not_found = {
    content_type = "application/json"
    message_body = jsonencode({ error = "not found" })
    status_code  = "404"
  }
}

resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "Public ALB ${var.name}: HTTP(S) in from ingress_cidrs; out only to the service tasks (rules in the service module)."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:Port 80 is open to ingress_cidrs so that browsers typing http:// are redirected to HTTPS (with a certificate, the only action on 80 is the 301).
  for_each          = toset(var.ingress_cidrs)
  security_group_id = aws_security_group.this.id
  description       = "HTTP from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each          = local.https ? toset(var.ingress_cidrs) : toset([])
  security_group_id = aws_security_group.this.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:WAF is an account-level choice (Firewall Manager or an aws_wafv2_web_acl_association outside this module).
  #checkov:skip=CKV2_AWS_20:HTTP redirects to HTTPS whenever certificate_arn is set; plain HTTP needs ENV=local or an explicit allow_http (root module precondition).
  #checkov:skip=CKV_AWS_91:Access logs are on in prod (access_logs = true, bucket created below); local and staging leave them off to save cost.
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.this.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  idle_timeout               = var.idle_timeout
  tags                       = var.tags

  dynamic "access_logs" {
    for_each = var.access_logs ? [1] : []
    content {
      bucket  = aws_s3_bucket.logs[0].id
      prefix  = var.name
      enabled = true
    }
  }

  # ELB checks the bucket policy when logging is turned on.
  depends_on = [aws_s3_bucket_policy.logs]
}

# HTTP only: the listener the services' rules attach to.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP only without a certificate: ENV=local, or an explicit allow_http = true (the plan review warns); otherwise the redirect listener below.
  #checkov:skip=CKV_AWS_103:TLS policy applies to the HTTPS listener only.
  count             = local.https ? 0 : 1
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = local.not_found.content_type
      message_body = local.not_found.message_body
      status_code  = local.not_found.status_code
    }
  }
}

resource "aws_lb_listener" "redirect" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  tags              = var.tags

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn
  tags              = var.tags

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = local.not_found.content_type
      message_body = local.not_found.message_body
      status_code  = local.not_found.status_code
    }
  }
}

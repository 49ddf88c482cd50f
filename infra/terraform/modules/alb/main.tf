# One internet-facing ALB for every service. Services attach listener rules to `listener_arn`.

locals {
  https = var.certificate_arn != null
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
  #checkov:skip=CKV_AWS_260:A public ALB takes HTTP on port 80 from anywhere; with a certificate it only redirects to HTTPS.
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
  #checkov:skip=CKV2_AWS_20:HTTP redirects to HTTPS whenever certificate_arn is set; without one (local, bootstrap) HTTP is all there is.
  #checkov:skip=CKV_AWS_91:Access logs are optional (access_logs_bucket); the bucket and its ELB policy live outside this module.
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
    for_each = var.access_logs_bucket == null ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }
}

# HTTP only: the listener the services' rules attach to.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Plain HTTP is used only when no certificate is given (local, first bootstrap); with one this listener redirects.
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

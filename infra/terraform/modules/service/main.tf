# One service: task definition, roles, target group, listener rules, ECS service, scaling, alarms.

locals {
  full = "${var.name_prefix}-${var.name}"
  # Target group names are at most 32 characters and unique per account and region; the hash
  # also covers the port so that a port change can create the new group before destroying the old.
  tg_name = "${substr(var.name, 0, 23)}-${substr(md5("${local.full}:${var.service.port}"), 0, 8)}"
  path    = var.service.path
  arn     = "arn:${var.aws.partition}"

  # SSM names ("/a/b") become ARNs in this account and region; ARNs pass through.
  secret_arns = {
    for k, v in var.service.secrets : k => startswith(v, "arn:") ? v : (
      "${local.arn}:ssm:${var.aws.region}:${var.aws.account_id}:parameter${v}"
    )
  }
  ssm_arns = distinct([for v in values(local.secret_arns) : v if can(regex("^arn:[^:]+:ssm:", v))])
  # A Secrets Manager reference may carry ":json-key:stage:version"; IAM wants the secret ARN.
  secretsmanager_arns = distinct([
    for v in values(local.secret_arns) : join(":", slice(split(":", v), 0, 7))
    if can(regex("^arn:[^:]+:secretsmanager:", v))
  ])

  # ECR repository of the image (<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:...);
  # an image from another registry is assumed to be mirrored in this account's ECR.
  repo_name   = regex("^[^/]+/([^@:]+)", var.service.image)[0]
  ecr_account = try(regex("^(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.", var.service.image), [var.aws.account_id, var.aws.region])
  repo_arn    = "${local.arn}:ecr:${local.ecr_account[1]}:${local.ecr_account[0]}:repository/${local.repo_name}"

  # Readiness gates traffic (the target group checks it); liveness restarts the container.
  # The runtime serves <path>/readyz for every service; `health` is the liveness path.
  ready_path  = "${local.path}/readyz"
  liveness_py = "import urllib.request as u; u.urlopen('http://127.0.0.1:${var.service.port}${var.service.health}', timeout=2)"

  # The runtime's own settings (flotilla.runtime.network); a service's [env] cannot override them.
  env = merge(var.service.env, {
    FLOTILLA_INTERNAL_PORT   = tostring(var.internal_port)
    FLOTILLA_TRUSTED_PROXIES = var.vpc_cidr # only the ALB, inside the VPC, may set X-Forwarded-*
  })
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer KMS key is optional (log_kms_key_arn).
  name              = "/ecs/${var.name_prefix}/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

# --- IAM: the execution role may pull its own image, write its own logs, read its own secrets.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.aws.account_id]
    }
  }
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid = "EcrToken"
    #checkov:skip=CKV_AWS_356:ecr:GetAuthorizationToken has no resource-level permissions; it must be "*".
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullOwnImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    resources = [local.repo_arn]
  }
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }
  dynamic "statement" {
    for_each = length(local.ssm_arns) > 0 ? [1] : []
    content {
      sid       = "ReadOwnParameters"
      actions   = ["ssm:GetParameters"]
      resources = local.ssm_arns
    }
  }
  dynamic "statement" {
    for_each = length(local.secretsmanager_arns) > 0 ? [1] : []
    content {
      sid       = "ReadOwnSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [for a in local.secretsmanager_arns : "${a}*"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name                  = "${substr(local.full, 0, 58)}-exec"
  description           = "ECS execution role of ${local.full}: pull its image, write its logs, read its secrets."
  assume_role_policy    = data.aws_iam_policy_document.assume.json
  force_detach_policies = true
  permissions_boundary  = var.permissions_boundary_arn
  tags                  = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application's own role: no permissions until a service needs some.
resource "aws_iam_role" "task" {
  name                  = "${substr(local.full, 0, 58)}-task"
  description           = "Task role of ${local.full}; empty by default."
  assume_role_policy    = data.aws_iam_policy_document.assume.json
  force_detach_policies = true
  permissions_boundary  = var.permissions_boundary_arn
  tags                  = var.tags
}

# --- Task definition

resource "aws_ecs_task_definition" "this" {
  # Old revisions stay registered (rollback to them; the deploy role may not deregister:
  # DeregisterTaskDefinition has no resource-level permissions, it would reach every env).
  skip_destroy             = true
  family                   = local.full
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.service.cpu)
  memory                   = tostring(var.service.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root filesystem is read-only; /tmp is a task-scoped scratch volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = var.name
    image                  = var.service.image
    essential              = true
    user                   = var.container_user
    readonlyRootFilesystem = true
    stopTimeout            = var.stop_timeout
    portMappings = [
      { containerPort = var.service.port, hostPort = var.service.port, protocol = "tcp" },
      { containerPort = var.internal_port, hostPort = var.internal_port, protocol = "tcp" },
    ]
    environment = [for k in sort(keys(local.env)) : { name = k, value = local.env[k] }]
    secrets     = [for k in sort(keys(local.secret_arns)) : { name = k, valueFrom = local.secret_arns[k] }]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    # Liveness: slim images have no curl; urllib raises on anything but 2xx/3xx.
    healthCheck = {
      command     = ["CMD", "python3", "-c", local.liveness_py]
      interval    = 10
      timeout     = 3
      retries     = 3
      startPeriod = 15
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = var.aws.region
        awslogs-stream-prefix = var.name
      }
    }
  }])
}

# --- Load balancing

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB-to-task traffic stays in the VPC, admitted only from the ALB's security group.
  name                 = local.tg_name
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = var.service.port
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay
  tags                 = merge(var.tags, { Service = var.name })

  health_check {
    path                = local.ready_path
    protocol            = "HTTP"
    port                = "traffic-port"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  lifecycle {
    create_before_destroy = true
  }
}

# /metrics and /stats are not on the service port at all (the runtime serves them on
# internal_port, which no target group uses), so no listener rule needs to hide them.
# Priority 2p+1 is kept so that existing rules are not renumbered.
resource "aws_lb_listener_rule" "forward" {
  listener_arn = var.listener_arn
  priority     = var.service.priority * 2 + 1
  tags         = merge(var.tags, { Service = var.name, Rule = "forward" })

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    path_pattern {
      values = [local.path, "${local.path}/*"]
    }
  }
}

# --- Network: the tasks admit only the ALB, on the service port.

resource "aws_security_group" "tasks" {
  name        = "${local.full}-tasks"
  description = "Tasks of ${local.full}: in from the ALB on ${var.service.port} only; out HTTPS (ECR, logs, SSM)."
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${local.full}-tasks" })
}

# Standalone aws_security_group_rule (not aws_vpc_security_group_*_rule): the emulator's
# DescribeSecurityGroupRules leaves out descriptions, which would show as drift on every plan.
resource "aws_security_group_rule" "from_alb" {
  type                     = "ingress"
  security_group_id        = aws_security_group.tasks.id
  description              = "Service port from the ALB"
  protocol                 = "tcp"
  from_port                = var.service.port
  to_port                  = var.service.port
  source_security_group_id = var.alb_security_group_id
}

# Scrapers (Prometheus, the CloudWatch agent) in these CIDRs may read /metrics and /stats on
# the internal port; the ALB never can (its only rule above is the service port).
resource "aws_security_group_rule" "internal_from_scrapers" {
  count             = length(var.internal_cidrs) > 0 ? 1 : 0
  type              = "ingress"
  security_group_id = aws_security_group.tasks.id
  description       = "Internal port (/metrics, /stats) from scrapers"
  protocol          = "tcp"
  from_port         = var.internal_port
  to_port           = var.internal_port
  cidr_blocks       = var.internal_cidrs
}

resource "aws_security_group_rule" "https_out" {
  type              = "egress"
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS out (ECR, CloudWatch Logs, SSM, AWS APIs)"
  protocol          = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "alb_to_tasks" {
  type                     = "egress"
  security_group_id        = var.alb_security_group_id
  description              = "ALB to ${var.name} on ${var.service.port}"
  protocol                 = "tcp"
  from_port                = var.service.port
  to_port                  = var.service.port
  source_security_group_id = aws_security_group.tasks.id
}

# --- The ECS service

resource "aws_ecs_service" "this" {
  name                               = var.name
  cluster                            = var.cluster_arn
  task_definition                    = aws_ecs_task_definition.this.arn
  desired_count                      = var.service.count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = var.emulator_compat ? null : var.health_check_grace_seconds
  enable_ecs_managed_tags            = !var.emulator_compat
  availability_zone_rebalancing      = "ENABLED"
  propagate_tags                     = "SERVICE"
  tags                               = merge(var.tags, { Service = var.name })

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "alarms" {
    for_each = var.emulator_compat ? [] : [1]
    content {
      alarm_names = [aws_cloudwatch_metric_alarm.latency.alarm_name, aws_cloudwatch_metric_alarm.errors.alarm_name]
      enable      = true
      rollback    = true
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = var.name
    container_port   = var.service.port
  }

  lifecycle {
    # Autoscaling owns the running count once the service exists. Rebalancing is set at
    # creation; the emulator does not report it back.
    ignore_changes = [desired_count, availability_zone_rebalancing]
  }

  # A target group must belong to a listener before a service can use it.
  depends_on = [aws_lb_listener_rule.forward, aws_iam_role_policy.execution]
}

# Least privilege: reads are account-wide only where AWS offers no resource-level scoping
# (Describe*/List*); every write is confined to the project's names or to resources tagged
# with the environment (the deploy Terraform tags everything Project/Environment).
locals {
  arn_prefix = "arn:${local.partition}"
  ecr_repos  = "${local.arn_prefix}:ecr:${var.region}:${local.account}:repository/${var.project}/*"
  ledger_all = "${local.arn_prefix}:ssm:${var.region}:${local.account}:parameter${var.ledger_parameter_root}/${var.project}/*"

  # Image reads: a pull request's `make plan ARGS=--no-push` finds images by content tag.
  ecr_read = [
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages",
    "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer", "ecr:GetLifecyclePolicy",
    "ecr:ListImages", "ecr:ListTagsForResource",
  ]
  # Image pushes into existing repositories (content-tagged, immutable): the deploy roles only.
  ecr_push = [
    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
    "ecr:DescribeImages", "ecr:DescribeRepositories", "ecr:GetDownloadUrlForLayer",
    "ecr:GetLifecyclePolicy", "ecr:InitiateLayerUpload", "ecr:ListImages",
    "ecr:ListTagsForResource", "ecr:PutImage", "ecr:UploadLayerPart",
    "ecr:GetRepositoryPolicy",
  ]
  # Repository settings: the deploy roles only, never a pull request.
  ecr_settings = [
    "ecr:CreateRepository", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy", "ecr:TagResource",
    # The pull policy for the other environments' accounts (flotilla.deploy.ecr.pull_policy).
    "ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy",
  ]
}

data "aws_iam_policy_document" "read" {
  statement {
    sid = "DescribeInfrastructure"
    # None of these actions supports resource-level permissions.
    actions = [
      "application-autoscaling:DescribeScalableTargets",
      "application-autoscaling:DescribeScalingPolicies",
      "ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute", "ec2:DescribeAvailabilityZones",
      "ec2:DescribeFlowLogs", "ec2:DescribeInternetGateways", "ec2:DescribeNatGateways",
      "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces", "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
      "ecr:GetAuthorizationToken",
      "ecs:DescribeTaskDefinition", "ecs:ListClusters", "ecs:ListServices", "ecs:ListTaskDefinitions",
      "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerAttributes",
      "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "logs:DescribeLogGroups",
      "route53:ListHostedZones",
      "ssm:DescribeParameters",
    ]
    resources = ["*"]
  }

  statement {
    sid = "ReadDomainsAndCertificates" # the HTTPS settings (domain, certificate_arn)
    actions = [
      "acm:DescribeCertificate", "acm:ListTagsForCertificate",
      "route53:GetChange", "route53:GetHostedZone", "route53:ListResourceRecordSets",
      "route53:ListTagsForResource",
    ]
    resources = [
      "${local.arn_prefix}:acm:${var.region}:${local.account}:certificate/*",
      "${local.arn_prefix}:route53:::change/*",
      "${local.arn_prefix}:route53:::hostedzone/*",
    ]
  }

  statement {
    sid = "ReadAccessLogBuckets"
    actions = [
      "s3:GetAccelerateConfiguration", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
    ]
    resources = ["${local.arn_prefix}:s3:::${var.project}-*-alb-logs-${local.account}"]
  }

  statement {
    sid       = "ReadProjectVpc"
    actions   = ["ec2:DescribeVpcAttribute"]
    resources = ["${local.arn_prefix}:ec2:${var.region}:${local.account}:vpc/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Project"
      values   = [var.project]
    }
  }

  statement {
    sid = "ReadProjectResources"
    actions = [
      "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
      "ecs:DescribeClusters", "ecs:DescribeServices", "ecs:DescribeTasks", "ecs:ListTasks",
      "ecs:ListTagsForResource",
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
      "logs:FilterLogEvents", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
      "ssm:GetParameter", "ssm:GetParameterHistory", "ssm:GetParameters", "ssm:GetParametersByPath",
    ]
    resources = [
      "${local.arn_prefix}:cloudwatch:${var.region}:${local.account}:alarm:${var.project}-*",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:cluster/${var.project}-*",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:service/${var.project}-*/*",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:task/${var.project}-*/*",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:task-definition/${var.project}-*:*",
      "${local.arn_prefix}:iam::${local.account}:role/${var.project}-*",
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/ecs/${var.project}-*",
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/vpc/${var.project}-*",
      local.ledger_all,
    ]
  }

  # The release ledger: one object per service under each environment's state folder
  # (src/flotilla/deploy/ledger.py). Every environment's is readable, so prod can promote
  # staging's release; each deploy role writes its own through ReadWriteState.
  dynamic "statement" {
    for_each = toset(var.environments)
    content {
      sid       = "ListLedger${title(statement.value)}"
      actions   = ["s3:ListBucket"]
      resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, statement.value)}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${var.project}/${statement.value}/releases/*"]
      }
    }
  }
  dynamic "statement" {
    for_each = toset(var.environments)
    content {
      sid       = "ReadLedger${title(statement.value)}"
      actions   = ["s3:GetObject"]
      resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, statement.value)}/${var.project}/${statement.value}/releases/*"]
    }
  }
}

data "aws_iam_policy_document" "plan_state" {
  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, var.plan_environment)}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.project}/${var.plan_environment}/*"]
    }
  }
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, var.plan_environment)}/${var.project}/${var.plan_environment}/*"]
  }
  statement {
    sid       = "LockState" # plan takes the S3 lock object (use_lockfile), nothing else
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, var.plan_environment)}/${var.project}/${var.plan_environment}/*.tflock"]
  }
  statement {
    sid       = "ReadImages" # `plan --no-push`: images by content tag; nothing is pushed
    actions   = local.ecr_read
    resources = [local.ecr_repos]
  }
}

# The permissions boundary of every role infra/terraform creates (each service's execution and
# task role, the VPC flow-log role). A role's effective permissions are its policies AND this
# boundary, so whatever the deploy role writes into a role's policy, the role can never do
# more than pull the project's images, write the project's logs and read secrets. The deploy
# role may create or change roles only when they carry exactly this boundary (deploy_policy.tf).
# A service that needs more (S3, DynamoDB, …) has an administrator widen this policy.
locals {
  boundary_name  = "${var.project}-workload-boundary"
  boundary_arn   = "${local.arn_prefix}:iam::${local.account}:policy/${local.boundary_name}"
  registry_repos = "${local.arn_prefix}:ecr:${var.region}:${coalesce(var.registry_account, local.account)}:repository/${var.project}/*"
}

data "aws_iam_policy_document" "boundary" {
  statement {
    sid       = "EcrToken" # no resource-level permissions exist for it
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullProjectImages" # from the registry account (this one by default)
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [local.registry_repos]
  }
  statement {
    sid     = "WriteProjectLogs"
    actions = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    resources = [
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/ecs/${var.project}-*",
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/vpc/${var.project}-*",
    ]
  }
  statement {
    sid       = "ReadParameters" # [secrets] by reference; which ones, the execution role's policy says
    actions   = ["ssm:GetParameters"]
    resources = ["${local.arn_prefix}:ssm:${var.region}:${local.account}:parameter/*"]
  }
  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.arn_prefix}:secretsmanager:${var.region}:${local.account}:secret:*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = local.boundary_name
  description = "Permissions boundary of the roles ${var.project}'s deploys create: the most any of them can do."
  policy      = data.aws_iam_policy_document.boundary.json
}

# GitHub Actions -> AWS by OIDC: no static keys. Three kinds of session:
#   plan           pull requests of var.github_repository: read + push images + state lock
#   deploy-<env>   jobs running in the GitHub environment <env> (protection rules there)
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  issuer    = "token.actions.githubusercontent.com"

  oidc_provider_arn = (
    var.create_oidc_provider
    ? aws_iam_openid_connect_provider.github[0].arn
    : "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.issuer}"
  )
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
  # AWS validates GitHub's certificate itself; the provider still wants thumbprints.
  thumbprint_list = [
    "6938fd4d98bab03faadb97b34396831e3780aea1",
    "1c58a3a8518e8759bf075b76b750d4f2df264fcd",
  ]
}

# Who may assume: exactly one repository, and for deploys exactly one GitHub environment.
data "aws_iam_policy_document" "trust" {
  for_each = merge(
    { plan = "repo:${var.github_repository}:pull_request" },
    { for env in var.environments : env => "repo:${var.github_repository}:environment:${env}" },
  )

  statement {
    sid     = "GitHubOIDC"
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = [each.value]
    }
  }

  # Another account's deploy role, by exact ARN (var.assumed_by): promote reads this
  # environment's ledger and sets its images' pull policy with this role.
  dynamic "statement" {
    for_each = length(lookup(var.assumed_by, each.key, [])) > 0 ? [each.key] : []
    content {
      sid     = "PromotingDeployRoles"
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = var.assumed_by[statement.value]
      }
    }
  }
}

resource "aws_iam_role" "plan" {
  name                 = "${var.project}-ci-plan"
  description          = "GitHub pull requests of ${var.github_repository}: terraform plan against ${var.plan_environment}"
  assume_role_policy   = data.aws_iam_policy_document.trust["plan"].json
  max_session_duration = var.max_session_seconds
}

resource "aws_iam_role_policy" "plan_read" {
  name   = "read"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.read.json
}

resource "aws_iam_role_policy" "plan_state" {
  name   = "state-and-images"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_state.json
}

resource "aws_iam_role" "deploy" {
  for_each             = toset(var.environments)
  name                 = "${var.project}-ci-deploy-${each.key}"
  description          = "GitHub environment ${each.key} of ${var.github_repository}: deploy ${var.project}-${each.key}"
  assume_role_policy   = data.aws_iam_policy_document.trust[each.key].json
  max_session_duration = var.max_session_seconds
}

resource "aws_iam_role_policy" "deploy_read" {
  for_each = aws_iam_role.deploy
  name     = "read"
  role     = each.value.id
  policy   = data.aws_iam_policy_document.read.json
}

# Only when var.may_assume names roles for the environment: exactly those, nothing else.
data "aws_iam_policy_document" "assume_sources" {
  for_each = { for env, arns in var.may_assume : env => arns if contains(var.environments, env) && length(arns) > 0 }
  statement {
    sid       = "AssumeSourceEnvironmentRoles"
    actions   = ["sts:AssumeRole"]
    resources = each.value
  }
}

resource "aws_iam_role_policy" "assume_sources" {
  for_each = data.aws_iam_policy_document.assume_sources
  name     = "assume-source-roles"
  role     = aws_iam_role.deploy[each.key].id
  policy   = each.value.json
}

resource "aws_iam_role_policy" "deploy_write" {
  for_each = aws_iam_role.deploy
  name     = "deploy-${each.key}"
  role     = each.value.id
  policy   = data.aws_iam_policy_document.deploy[each.key].json
}

output "oidc_provider_arn" {
  description = "The GitHub OIDC identity provider."
  value       = local.oidc_provider_arn
}

output "plan_role_arn" {
  description = "Set as the repository variable AWS_PLAN_ROLE_ARN (pull requests)."
  value       = aws_iam_role.plan.arn
}

output "deploy_role_arns" {
  description = "Per environment: set as that GitHub environment's variable AWS_DEPLOY_ROLE_ARN."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "permissions_boundary_arn" {
  description = "The boundary every role infra/terraform creates must carry (its permissions_boundary_arn default)."
  value       = aws_iam_policy.boundary.arn
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = module.alb.dns_name
}

output "alb_url" {
  description = "Base URL of the environment: https://<domain>, https://<ALB DNS name>, or http:// (local, allow_http)."
  value       = local.url

  # The cheap guard in Terraform; preflight (flotilla.deploy.preflight) reports it first.
  precondition {
    condition     = var.environment_kind == "local" || local.https || var.allow_http
    error_message = "${var.environment} would serve plain HTTP: set domain, certificate_arn or allow_http = true in environments/${var.environment}.toml."
  }
}

output "http_only" {
  description = "True when an environment of kind aws serves plain HTTP (allow_http = true); the plan review warns."
  value       = var.environment_kind != "local" && !local.https
}

output "alb_access_logs_bucket" {
  description = "The bucket the ALB writes access logs to (alb_access_logs = true), or null."
  value       = module.alb.access_logs_bucket
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cluster.name
}

output "services" {
  description = "Per service: url, target_group_arn, service_name, listener_rule_arn."
  value = {
    for name, s in module.service : name => {
      url               = s.url
      target_group_arn  = s.target_group_arn
      service_name      = s.service_name
      listener_rule_arn = s.listener_rule_arn
    }
  }
}

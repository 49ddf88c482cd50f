output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = module.alb.dns_name
}

output "alb_url" {
  description = "Base URL of the ALB (http:// or https://)."
  value       = module.alb.url
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

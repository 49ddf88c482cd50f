output "alb_url" {
  description = "Base URL of the ALB."
  value       = module.alb.url
}

output "hello_url" {
  description = "URL of the hello service."
  value       = module.hello.url
}

output "hello_target_group_arn" {
  description = "Target group of the hello service."
  value       = module.hello.target_group_arn
}

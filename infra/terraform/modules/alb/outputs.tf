output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix, the CloudWatch LoadBalancer dimension."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone of the load balancer, for alias records."
  value       = aws_lb.this.zone_id
}

output "url" {
  description = "Base URL of the load balancer (https:// when a certificate is given)."
  value       = "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "listener_arn" {
  description = "The listener that services attach their rules to (HTTPS when a certificate is given)."
  value       = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http[0].arn
}

output "security_group_id" {
  description = "Security group of the load balancer; tasks admit only this group."
  value       = aws_security_group.this.id
}

output "access_logs_bucket" {
  description = "The access log bucket this module created, or null."
  value       = var.access_logs ? aws_s3_bucket.logs[0].id : null
}

output "certificate_arn" {
  description = "The validated ACM certificate (known once DNS validation completes)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "url" {
  description = "https://<domain>."
  value       = "https://${var.domain}"
}

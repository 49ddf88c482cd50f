variable "domain" {
  description = "DNS name the environment serves on, e.g. api.example.com."
  type        = string
}

variable "hosted_zone" {
  description = "Public Route 53 hosted zone holding domain; null: a zone named exactly domain."
  type        = string
  default     = null
}

variable "alb_dns_name" {
  description = "DNS name of the ALB (the alias target)."
  type        = string
}

variable "alb_zone_id" {
  description = "Route 53 zone id of the ALB."
  type        = string
}

variable "tags" {
  description = "Tags for the certificate."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the load balancer (at most 32 characters)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets in at least 2 AZs."
  type        = list(string)
}

variable "https" {
  description = "Serve HTTPS on 443 with certificate_arn and redirect HTTP to it; false: HTTP only."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener (with https = true)."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (prod)."
  type        = bool
  default     = true
}

variable "idle_timeout" {
  description = "Seconds an idle connection stays open; the services' keep-alive is longer."
  type        = number
  default     = 60
}

variable "access_logs" {
  description = "Write access logs to an S3 bucket this module creates (ELB log-delivery policy, SSE-S3, lifecycle)."
  type        = bool
  default     = false
}

variable "access_logs_days" {
  description = "Days access log objects are kept before they expire."
  type        = number
  default     = 90
}

variable "aws" {
  description = "account_id, region and partition (the log bucket's name and policy)."
  type        = object({ account_id = string, region = string, partition = string })
}

variable "ingress_cidrs" {
  description = "Who may reach the listeners."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

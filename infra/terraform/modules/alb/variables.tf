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

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener; HTTP then redirects to HTTPS. Null: HTTP only."
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

variable "access_logs_bucket" {
  description = "S3 bucket for access logs (with a policy that lets ELB write); null disables them."
  type        = string
  default     = null
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

variable "name" {
  description = "Name prefix for every network resource."
  type        = string
}

variable "cidr" {
  description = "CIDR block of the VPC this module creates (ignored when vpc_id is given)."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "How many availability zones the subnets span (at least 2, as the ALB requires)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6
    error_message = "az_count must be between 2 and 6 (an ALB needs subnets in at least 2 AZs), got ${var.az_count}."
  }
}

variable "nat_gateway_mode" {
  description = "NAT for the private subnets: \"single\" (one NAT, cheaper), \"per_az\" (one per AZ, no cross-AZ dependency) or \"none\"."
  type        = string
  default     = "per_az"

  validation {
    condition     = contains(["none", "single", "per_az"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be one of none, single, per_az; got \"${var.nat_gateway_mode}\"."
  }
}

variable "vpc_id" {
  description = "Use this existing VPC instead of creating one; then public_subnet_ids and private_subnet_ids are required."
  type        = string
  default     = null
}

variable "public_subnet_ids" {
  description = "Existing public subnets (for the ALB) when vpc_id is given."
  type        = list(string)
  default     = []
}

variable "private_subnet_ids" {
  description = "Existing private subnets (for the tasks) when vpc_id is given."
  type        = list(string)
  default     = []
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "Optional KMS key for the flow log group; CloudWatch Logs encrypts with its own key otherwise."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles this module creates (null: none)."
  type        = string
  default     = null
}

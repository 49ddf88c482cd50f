variable "name" {
  description = "Service name (the key of the service map)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of account-wide names (roles, log groups): \"<project>-<environment>\"."
  type        = string
}

variable "service" {
  description = "One entry of the service map (see the root README for the schema)."
  type = object({
    path     = string
    port     = number
    health   = string
    cpu      = number
    memory   = number
    count    = number
    min      = number
    max      = number
    env      = map(string)
    secrets  = map(string)
    slo      = object({ p99_ms = number, availability = number })
    image    = string
    priority = number
  })
}

variable "aws" {
  description = "Where the service runs: account_id, region and partition (secret and ECR ARNs are built from them)."
  type        = object({ account_id = string, region = string, partition = string })
}

variable "cluster_arn" {
  description = "ECS cluster ARN."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster name (for the autoscaling resource id)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the tasks."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR of the VPC: the only source whose X-Forwarded-* headers the tasks believe."
  type        = string
}

variable "internal_port" {
  description = "Port of /metrics and /stats in the task; never the service port, never in the target group."
  type        = number
  default     = 9100
}

variable "internal_cidrs" {
  description = "CIDRs (e.g. the VPC's) allowed to reach internal_port, for a metrics scraper; empty: none."
  type        = list(string)
  default     = []
}

variable "subnet_ids" {
  description = "Private subnets the tasks run in."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "The ALB's security group: the only source admitted on the service port."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ALB ARN suffix (CloudWatch dimension and request-count scaling label)."
  type        = string
}

variable "alb_url" {
  description = "Base URL of the ALB; the service's URL is this plus its path."
  type        = string
}

variable "listener_arn" {
  description = "The ALB listener the rules attach to."
  type        = string
}

variable "container_user" {
  description = "Non-root user (uid:gid) the container runs as."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = !can(regex("^(0|root)(:|$)", var.container_user))
    error_message = "container_user must not be root, got \"${var.container_user}\"."
  }
}

variable "stop_timeout" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL; longer than the runtime's 10 s drain."
  type        = number
  default     = 30
}

variable "health_check_grace_seconds" {
  description = "Seconds ECS ignores failing ALB health checks after a task starts."
  type        = number
  default     = 60
}

variable "deregistration_delay" {
  description = "Seconds the ALB drains a target before deregistering it."
  type        = number
  default     = 30
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "Optional KMS key for the log group."
  type        = string
  default     = null
}

variable "emulator_compat" {
  description = "Leave out what the AWS emulator cannot store: autoscaling, deployment alarms, grace period, ECS managed tags. Only for local."
  type        = bool
  default     = false
}

variable "cpu_target" {
  description = "Target average CPU utilisation, percent."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute."
  type        = number
  default     = 1000
}

variable "error_burn_rate" {
  description = "The 5xx alarm fires when the error rate exceeds this multiple of the SLO's error budget."
  type        = number
  default     = 10
}

variable "alarm_actions" {
  description = "SNS topics (or other actions) notified when an alarm fires."
  type        = list(string)
  default     = []
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

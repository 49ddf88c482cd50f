variable "project" {
  description = "Project name (flotilla.toml [project] name); prefixes every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.project))
    error_message = "project must be lowercase letters, digits and dashes (at most 31), got \"${var.project}\"."
  }
}

variable "environment" {
  description = "The environment's name: environments/<name>.toml at the project root (flotilla checks the name and generates these inputs)."
  type        = string
}

variable "environment_kind" {
  description = "The environment file's `kind`: aws, or local (the emulator on this machine, served on loopback over plain HTTP)."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["aws", "local"], var.environment_kind)
    error_message = "environment_kind is aws or local (the file's kind)."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "services" {
  description = "The service map written by `flotilla` from services/*/service.toml (schema in README.md)."
  type = map(object({
    path     = string
    port     = number
    health   = string
    cpu      = number
    memory   = number
    count    = number
    min      = number
    max      = number
    env      = optional(map(string), {})
    secrets  = optional(map(string), {})
    slo      = optional(object({ p99_ms = optional(number, 500), availability = optional(number, 99.9) }), {})
    image    = string
    priority = number
  }))

  validation {
    condition     = alltrue([for k, s in var.services : can(regex("^[a-z][a-z0-9-]{0,31}$", k))])
    error_message = "services: names must match ^[a-z][a-z0-9-]{0,31}$; bad: ${join(", ", [for k, s in var.services : k if !can(regex("^[a-z][a-z0-9-]{0,31}$", k))])}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : can(regex("^(/[a-z0-9][a-z0-9._-]*)+$", s.path))])
    error_message = "services: path must look like \"/orders\" (lowercase segments, no trailing slash, not \"/\"); bad: ${join(", ", [for k, s in var.services : "${k}.path=${jsonencode(s.path)}" if !can(regex("^(/[a-z0-9][a-z0-9._-]*)+$", s.path))])}."
  }

  validation {
    condition     = length(distinct([for k, s in var.services : s.path])) == length(var.services)
    error_message = "services: two services share a path; paths: ${jsonencode({ for k, s in var.services : k => s.path })}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.health == s.path || startswith(s.health, "${s.path}/")])
    error_message = "services: health must be the path or under it; bad: ${join(", ", [for k, s in var.services : "${k}.health=${jsonencode(s.health)} (path ${s.path})" if !(s.health == s.path || startswith(s.health, "${s.path}/"))])}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.port >= 1024 && s.port <= 65535 && floor(s.port) == s.port])
    error_message = "services: port must be an integer in 1024..65535; bad: ${join(", ", [for k, s in var.services : "${k}.port=${s.port}" if !(s.port >= 1024 && s.port <= 65535)])}."
  }

  # Fargate task sizes: cpu -> allowed memory in MiB.
  validation {
    condition     = alltrue([for k, s in var.services : contains(lookup({ "256" = [512, 1024, 2048], "512" = range(1024, 4097, 1024), "1024" = range(2048, 8193, 1024), "2048" = range(4096, 16385, 1024), "4096" = range(8192, 30721, 1024) }, tostring(s.cpu), []), s.memory)])
    error_message = "services: cpu/memory must be a Fargate size (cpu 256: memory 512|1024|2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; steps of 1024); bad: ${join(", ", [for k, s in var.services : "${k} cpu=${s.cpu} memory=${s.memory}" if !contains(lookup({ "256" = [512, 1024, 2048], "512" = range(1024, 4097, 1024), "1024" = range(2048, 8193, 1024), "2048" = range(4096, 16385, 1024), "4096" = range(8192, 30721, 1024) }, tostring(s.cpu), []), s.memory)])}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.min >= 0 && s.min <= s.count && s.count <= s.max && s.max <= 100])
    error_message = "services: need 0 <= min <= count <= max <= 100; bad: ${join(", ", [for k, s in var.services : "${k} min=${s.min} count=${s.count} max=${s.max}" if !(s.min >= 0 && s.min <= s.count && s.count <= s.max && s.max <= 100)])}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : can(regex("^[a-z0-9][a-z0-9.-]*(:[0-9]+)?/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$", s.image))])
    error_message = "services: image must be pinned by digest, \"<registry>/<repository>@sha256:<64 hex>\"; bad: ${join(", ", [for k, s in var.services : "${k}.image=${jsonencode(s.image)}" if !can(regex("^[a-z0-9][a-z0-9.-]*(:[0-9]+)?/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$", s.image))])}."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.priority >= 1 && s.priority <= 24999 && floor(s.priority) == s.priority]) && length(distinct([for k, s in var.services : s.priority])) == length(var.services)
    error_message = "services: priority must be a unique integer in 1..24999 (rules use 2p and 2p+1); priorities: ${jsonencode({ for k, s in var.services : k => s.priority })}."
  }

  validation {
    condition = alltrue(flatten([for k, s in var.services : [for n, ref in s.secrets : can(regex(
      "^(arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9_./-]+|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+|/[A-Za-z0-9_./-]+)$", ref
    ))]]))
    error_message = "services: secrets must be SSM parameter names (\"/a/b\") or SSM / Secrets Manager ARNs, never values."
  }

  validation {
    condition     = alltrue([for k, s in var.services : s.slo.p99_ms > 0 && s.slo.availability > 0 && s.slo.availability < 100])
    error_message = "services: slo.p99_ms must be > 0 and slo.availability in (0, 100)."
  }
}

# --- Network

variable "vpc_cidr" {
  description = "CIDR of the VPC created when vpc_id is null."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones the subnets span."
  type        = number
  default     = 2
}

variable "nat_gateway_mode" {
  description = "none, single (one NAT) or per_az (one NAT per AZ)."
  type        = string
  default     = "per_az"
}

variable "vpc_id" {
  description = "Existing VPC to use instead of creating one."
  type        = string
  default     = null
}

variable "public_subnet_ids" {
  description = "Existing public subnets (with vpc_id)."
  type        = list(string)
  default     = []
}

variable "private_subnet_ids" {
  description = "Existing private subnets (with vpc_id)."
  type        = list(string)
  default     = []
}

variable "internal_port" {
  description = "Port of every task's /metrics and /stats (never behind the ALB)."
  type        = number
  default     = 9100

  validation {
    condition     = var.internal_port >= 1024 && var.internal_port <= 65535 && !contains([for s in var.services : s.port], var.internal_port)
    error_message = "internal_port must be in 1024..65535 and differ from every service's port."
  }
}

variable "internal_cidrs" {
  description = "Who may scrape internal_port, e.g. [the VPC CIDR] for Prometheus in the VPC; empty: nobody."
  type        = list(string)
  default     = []
}

# --- ALB

# Outside local one of domain, certificate_arn or allow_http = true is required.
variable "domain" {
  description = "DNS name to serve on (HTTPS): ACM certificate validated in Route 53, alias record to the ALB."
  type        = string
  default     = null
}

variable "hosted_zone" {
  description = "Public Route 53 zone of domain (e.g. example.com); null: a zone named exactly domain."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "An existing ACM certificate instead of domain: HTTPS listener, HTTP redirects."
  type        = string
  default     = null
}

variable "allow_http" {
  description = "Serve plain HTTP outside local (no domain, no certificate); the plan review warns."
  type        = bool
  default     = false
}

variable "ingress_cidrs" {
  description = "Who may reach the ALB's listeners."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "alb_deletion_protection" {
  description = "Deletion protection of the ALB."
  type        = bool
  default     = true
}

variable "alb_access_logs" {
  description = "Write ALB access logs to a bucket the stack creates (ELB log-delivery policy, SSE-S3, lifecycle)."
  type        = bool
  default     = false
}

variable "alb_access_logs_days" {
  description = "Days ALB access logs are kept."
  type        = number
  default     = 90
}

# --- IAM

variable "permissions_boundary_arn" {
  description = "Boundary of every role this stack creates; null: <project>-workload-boundary from infra/terraform/ci (which the CI deploy role requires)."
  type        = string
  default     = null
}

# --- Services, logs, alarms

variable "deregistration_delay" {
  description = "Seconds the ALB drains a target before deregistering it (the runtime drains in-flight requests within 10 s after SIGTERM)."
  type        = number
  default     = 30

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be 0..3600 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "Optional KMS key for the log groups."
  type        = string
  default     = null
}

variable "container_insights" {
  description = "ECS Container Insights: enabled, enhanced or disabled."
  type        = string
  default     = "enabled"
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified by the services' alarms."
  type        = list(string)
  default     = []
}

variable "cpu_target" {
  description = "Target average CPU utilisation for autoscaling, percent."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute for autoscaling."
  type        = number
  default     = 1000
}

# --- The emulator (set only in environments/local.toml [terraform])

variable "emulator_compat" {
  description = "Leave out what the AWS emulator (moto) cannot do: autoscaling and ECS deployment alarms. Only for local."
  type        = bool
  default     = false
}

variable "skip_credentials_validation" {
  description = "Provider: skip the STS credentials check (emulator only)."
  type        = bool
  default     = false
}

variable "skip_requesting_account_id" {
  description = "Provider: do not ask STS/IAM for the account id (emulator only)."
  type        = bool
  default     = false
}

variable "skip_metadata_api_check" {
  description = "Provider: do not query the EC2 metadata service for credentials (emulator only)."
  type        = bool
  default     = false
}

variable "s3_use_path_style" {
  description = "Provider: path-style S3 URLs (emulator only)."
  type        = bool
  default     = false
}

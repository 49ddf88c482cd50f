variable "project" {
  description = "Project name (flotilla.toml [project].name): prefixes every resource it deploys."
  type        = string
  default     = "flotilla"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.project))
    error_message = "project must match ^[a-z][a-z0-9-]{0,30}$ (as in flotilla.toml)."
  }
}

variable "github_repository" {
  description = "The only repository whose workflows may assume the roles, as owner/name."
  type        = string
  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, e.g. acme/shop."
  }
}

variable "region" {
  description = "The region the services run in."
  type        = string
  default     = "us-east-1"
}

variable "environments" {
  description = "GitHub environments that deploy; each gets its own role, usable only from that environment."
  type        = list(string)
  default     = ["staging", "prod"]
  validation {
    # The environment file name rule (flotilla.deploy.preflight.names); any name, not a list.
    condition     = alltrue([for e in var.environments : can(regex("^[a-z0-9]+([._-][a-z0-9]+)*$", e))])
    error_message = "environments are environment names (environments/<name>.toml): lowercase letters and digits separated by single . _ -."
  }
}

variable "plan_environment" {
  description = "The environment pull requests plan against (read-only role, plus its state lock)."
  type        = string
  default     = "staging"
}

variable "state_bucket_pattern" {
  description = "Terraform state bucket per environment; %s is the environment (see environments/<env>.toml [state] at the project root)."
  type        = string
  default     = "flotilla-tfstate-%s"
}

variable "ledger_parameter_root" {
  description = "SSM root of the old release ledger, read once to migrate it to the state bucket (src/flotilla/deploy/ledger.py): <root>/<project>/<env>/releases/<service>."
  type        = string
  default     = "/flotilla"
}

variable "create_oidc_provider" {
  description = "Create the token.actions.githubusercontent.com provider (one per account); false to reuse it."
  type        = bool
  default     = true
}

variable "max_session_seconds" {
  description = "How long a CI session may last."
  type        = number
  default     = 3600
}

variable "domains" {
  description = "Per environment, its domain (infra/terraform's domain setting): the deploy role may change Route 53 records of that name only."
  type        = map(string)
  default     = {}
}

variable "registry_account" {
  description = "The account images are pushed to (flotilla.toml [project] registry_account; default the first environment of the promotion chain's). Empty: this account. The workload boundary lets tasks pull the project's images from it."
  type        = string
  default     = ""
  validation {
    condition     = var.registry_account == "" || can(regex("^[0-9]{12}$", var.registry_account))
    error_message = "registry_account must be a 12-digit AWS account id, or empty for this account."
  }
}

variable "assumed_by" {
  description = "Per environment of this account, deploy roles in other accounts that may assume its deploy role. Promote to prod reads staging's ledger and sets the images' pull policy with staging's role_arn: give staging's entry prod's deploy role ARN."
  type        = map(list(string))
  default     = {}
  validation {
    condition     = alltrue(flatten([for env, arns in var.assumed_by : [for a in arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))]]))
    error_message = "assumed_by values are IAM role ARNs (arn:aws:iam::<12-digit account>:role/<name>), no wildcards."
  }
}

variable "may_assume" {
  description = "Per environment of this account, roles in other accounts its deploy role may assume: the role_arn of the environment it promotes from (and of the registry account's, when that is another). Prod's entry: staging's deploy role ARN."
  type        = map(list(string))
  default     = {}
  validation {
    condition     = alltrue(flatten([for env, arns in var.may_assume : [for a in arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))]]))
    error_message = "may_assume values are IAM role ARNs (arn:aws:iam::<12-digit account>:role/<name>), no wildcards."
  }
}

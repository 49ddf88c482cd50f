terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }

  # Partial configuration: `terraform init -backend-config=environments/<env>.s3.tfbackend`.
  backend "s3" {}
}

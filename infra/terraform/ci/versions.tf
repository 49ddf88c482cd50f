# CI access for GitHub Actions: its own root module, applied once per AWS account by an
# administrator (see README.md). Local state by default; point it at S3 with -backend-config.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      ManagedBy = "terraform"
      Purpose   = "github-actions-oidc"
    }
  }
}

# Endpoints come from the standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> environment
# variables (honoured by the AWS provider >= 5.x), so the same code talks to AWS or the emulator.
provider "aws" {
  region                      = var.region
  skip_credentials_validation = var.skip_credentials_validation
  skip_requesting_account_id  = var.skip_requesting_account_id
  skip_metadata_api_check     = var.skip_metadata_api_check
  s3_use_path_style           = var.s3_use_path_style

  default_tags {
    tags = local.tags
  }
}

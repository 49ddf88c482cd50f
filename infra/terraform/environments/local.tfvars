# ENV=local: the AWS emulator (moto server). Endpoints come from AWS_ENDPOINT_URL.
project     = "flotilla"
environment = "local"
region      = "us-east-1"

az_count                = 2
nat_gateway_mode        = "single"
alb_deletion_protection = false
log_retention_days      = 7
deregistration_delay    = 5 # one machine, no real clients to drain: faster local rollouts

# What the emulator cannot do; see modules/service/README.md.
emulator_compat             = true
skip_credentials_validation = true
skip_requesting_account_id  = false # the emulator answers STS; same-account SG references need the id
skip_metadata_api_check     = true
s3_use_path_style           = true

# The smallest composition of the modules: one service, a new VPC with one NAT, HTTP only.
# (The root module, infra/terraform, does the same for every service in the service map.)
#
#   terraform init && terraform plan

provider "aws" {
  region = "us-east-1"
}

locals {
  name = "example-staging"
  hello = {
    path     = "/hello"
    port     = 8000
    health   = "/hello/healthz"
    cpu      = 256
    memory   = 512
    count    = 1
    min      = 1
    max      = 2
    env      = { LOG_LEVEL = "info" }
    secrets  = { API_TOKEN = "/example/hello/api-token" }
    slo      = { p99_ms = 300, availability = 99.9 }
    image    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/example/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    priority = 4242
  }
}

locals {
  aws = {
    account_id = data.aws_caller_identity.current.account_id
    region     = data.aws_region.current.name
    partition  = data.aws_partition.current.partition
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

module "network" {
  source           = "../../modules/network"
  name             = local.name
  nat_gateway_mode = "single"
}

module "alb" {
  source            = "../../modules/alb"
  name              = local.name
  vpc_id            = module.network.vpc_id
  public_subnet_ids = module.network.public_subnet_ids
  aws               = local.aws
}

module "cluster" {
  source = "../../modules/cluster"
  name   = local.name
}

module "hello" {
  source      = "../../modules/service"
  name        = "hello"
  name_prefix = local.name
  service     = local.hello
  aws         = local.aws

  cluster_arn           = module.cluster.arn
  cluster_name          = module.cluster.name
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  subnet_ids            = module.network.private_subnet_ids
  alb_security_group_id = module.alb.security_group_id
  alb_arn_suffix        = module.alb.arn_suffix
  alb_url               = module.alb.url
  listener_arn          = module.alb.listener_arn
}

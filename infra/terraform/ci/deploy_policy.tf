# What `make deploy ENV=<env>` needs: infra/terraform's resources for that environment only.
data "aws_iam_policy_document" "deploy" {
  for_each = toset(var.environments)

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, each.key)}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.project}/${each.key}/*"]
    }
  }
  statement {
    sid       = "ReadWriteState"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.arn_prefix}:s3:::${format(var.state_bucket_pattern, each.key)}/${var.project}/${each.key}/*"]
  }
  statement {
    sid       = "PushImages"
    actions   = concat(local.ecr_push, local.ecr_settings)
    resources = [local.ecr_repos]
  }
  statement {
    # RegisterTaskDefinition has no resource-level permissions; the new revision must carry
    # this env's tag. DeregisterTaskDefinition is not granted: it would reach every
    # environment's revisions (infra/terraform keeps old revisions registered).
    sid       = "RegisterTaskDefinitions"
    actions   = ["ecs:RegisterTaskDefinition"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid = "ClusterAndServices"
    actions = [
      "ecs:CreateCluster", "ecs:CreateService", "ecs:DeleteCluster", "ecs:DeleteService",
      "ecs:PutClusterCapacityProviders", "ecs:TagResource", "ecs:UntagResource",
      "ecs:UpdateCluster", "ecs:UpdateClusterSettings", "ecs:UpdateService",
    ]
    resources = [
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:cluster/${var.project}-${each.key}",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:service/${var.project}-${each.key}/*",
      "${local.arn_prefix}:ecs:${var.region}:${local.account}:task-definition/${var.project}-${each.key}-*:*",
    ]
  }
  statement {
    sid = "LoadBalancerTagged" # the ALB, its listeners, rules and target groups of this env
    actions = [
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteRule",
      "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyListenerAttributes",
      "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyRule",
      "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:SetRulePriorities",
      "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid = "LoadBalancerCreate" # new ELB resources must carry this env's tag
    actions = [
      "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateRule",
      "elasticloadbalancing:CreateTargetGroup",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid       = "LoadBalancerTagOnCreate" # tags only as part of creating a resource
    actions   = ["elasticloadbalancing:AddTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
    condition {
      test     = "StringEquals"
      variable = "elasticloadbalancing:CreateAction"
      values   = ["CreateListener", "CreateLoadBalancer", "CreateRule", "CreateTargetGroup"]
    }
  }
  statement {
    sid       = "LoadBalancerRetagOwn" # this env's resources, and they stay this env's
    actions   = ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
    condition {
      test     = "ForAllValues:StringNotEquals"
      variable = "aws:TagKeys"
      values   = ["Environment", "Project"]
    }
  }
  statement {
    sid = "NetworkTagged" # VPC, subnets, gateways, routes, security groups, flow logs
    actions = [
      "ec2:AllocateAddress", "ec2:AssociateRouteTable", "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateFlowLogs", "ec2:CreateInternetGateway", "ec2:CreateNatGateway",
      "ec2:CreateRoute", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateSubnet",
      "ec2:CreateVpc", "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway",
      "ec2:DeleteNatGateway", "ec2:DeleteRoute", "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet", "ec2:DeleteVpc",
      "ec2:DetachInternetGateway", "ec2:DisassociateAddress", "ec2:DisassociateRouteTable",
      "ec2:ModifySecurityGroupRules", "ec2:ModifySubnetAttribute", "ec2:ModifyVpcAttribute",
      "ec2:ReleaseAddress", "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid = "NetworkCreate"
    actions = [
      "ec2:AllocateAddress", "ec2:CreateFlowLogs", "ec2:CreateInternetGateway",
      "ec2:CreateNatGateway", "ec2:CreateRouteTable", "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet", "ec2:CreateVpc",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid       = "NetworkTagOnCreate" # tags only as part of creating a resource
    actions   = ["ec2:CreateTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values = [
        "AllocateAddress", "CreateFlowLogs", "CreateInternetGateway", "CreateNatGateway",
        "CreateRouteTable", "CreateSecurityGroup", "CreateSubnet", "CreateVpc",
      ]
    }
  }
  statement {
    sid       = "NetworkRetagOwn" # this env's resources, and they stay this env's
    actions   = ["ec2:CreateTags", "ec2:DeleteTags"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
    condition {
      test     = "ForAllValues:StringNotEquals"
      variable = "aws:TagKeys"
      values   = ["Environment", "Project"]
    }
  }
  statement {
    # The execution/task/flow-log roles infra/terraform makes for this env, only with the
    # workload boundary (boundary.tf): whatever policy is put on them, they can do no more.
    sid = "TaskRolesWithBoundary"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole", "iam:UpdateRoleDescription",
    ]
    resources = ["${local.arn_prefix}:iam::${local.account}:role/${var.project}-${each.key}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
  statement {
    sid    = "NoRoleWithoutTheBoundary" # belt and braces: whatever another policy grants
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:CreateRole", "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
    ]
    resources = ["*"]
    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = [local.boundary_arn]
    }
  }
  statement {
    sid       = "KeepTheBoundary"
    effect    = "Deny"
    actions   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:DeleteRolePermissionsBoundary", "iam:SetDefaultPolicyVersion"]
    resources = ["*"]
  }
  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn_prefix}:iam::${local.account}:role/${var.project}-${each.key}-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }
  statement {
    sid       = "ServiceLinkedRoles" # first ECS/ELB/autoscaling use in an account
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["${local.arn_prefix}:iam::${local.account}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
      ]
    }
  }
  statement {
    sid = "LogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
      "logs:TagResource", "logs:TagLogGroup", "logs:UntagResource", "logs:UntagLogGroup",
    ]
    resources = [
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/ecs/${var.project}-${each.key}/*",
      "${local.arn_prefix}:logs:${var.region}:${local.account}:log-group:/vpc/${var.project}-${each.key}/*",
    ]
  }
  statement {
    sid       = "Alarms"
    actions   = ["cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = ["${local.arn_prefix}:cloudwatch:${var.region}:${local.account}:alarm:${var.project}-${each.key}-*"]
  }
  statement {
    sid = "Autoscaling" # scalable targets of this env's ECS services
    actions = [
      "application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget",
    ]
    resources = ["${local.arn_prefix}:application-autoscaling:${var.region}:${local.account}:scalable-target/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid = "AutoscalingRetagOwn" # this env's scalable targets, and they stay this env's
    actions = [
      "application-autoscaling:TagResource", "application-autoscaling:UntagResource",
    ]
    resources = ["${local.arn_prefix}:application-autoscaling:${var.region}:${local.account}:scalable-target/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
    condition {
      test     = "ForAllValues:StringNotEquals"
      variable = "aws:TagKeys"
      values   = ["Environment", "Project"]
    }
  }
  statement {
    sid = "AccessLogBucket" # prod's ALB access logs (alb_access_logs), named for this env
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:GetAccelerateConfiguration",
      "s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration", "s3:ListBucket", "s3:PutBucketOwnershipControls",
      "s3:PutBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketTagging",
      "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
    ]
    resources = ["${local.arn_prefix}:s3:::${var.project}-${each.key}-alb-logs-${local.account}"]
  }
  statement {
    sid       = "RequestCertificate" # no resource-level permissions; must carry this env's tag
    actions   = ["acm:AddTagsToCertificate", "acm:RequestCertificate"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/Environment"
      values   = [each.key]
    }
  }
  statement {
    sid = "OwnCertificates"
    actions = [
      "acm:DeleteCertificate", "acm:DescribeCertificate", "acm:ListTagsForCertificate",
    ]
    resources = ["${local.arn_prefix}:acm:${var.region}:${local.account}:certificate/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Environment"
      values   = [each.key]
    }
  }
  dynamic "statement" {
    for_each = contains(keys(var.domains), each.key) ? [var.domains[each.key]] : []
    content {
      sid       = "OwnRecords" # the env's name and its ACM validation records, nothing else
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = ["${local.arn_prefix}:route53:::hostedzone/*"]
      condition {
        test     = "ForAllValues:StringLike"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = [statement.value, "*.${statement.value}"]
      }
    }
  }
}

"""The REST API (API Gateway v1, REGIONAL) proxying everything to the ``api`` function, and the
custom domain (infra.md §4).

``ANY /`` and ``ANY /{proxy+}`` use the Lambda proxy integration: Chalice routes inside the
function. Binary media types come from ``resources`` (multipart photo uploads would be corrupted
as text otherwise). DNS lives at name.com, so no record is created: the domain's regional target
host is published for an operator's CNAME.
"""
from __future__ import annotations

import hashlib
import json

import pulumi
import pulumi_aws as aws

from chalicelib import resources

PROXY_PATHS = ("/", "/{proxy+}")


class Api(pulumi.ComponentResource):
    def __init__(self, name: str, *, stage: str, function: aws.lambda_.Function, domain_name: str,
                 certificate_arn: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("innova:infra:Api", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        api_name = resources.FUNCTIONS["api"].name(stage)
        self.rest_api = aws.apigateway.RestApi(
            "RestApi",
            name=api_name,
            description="Innova Serverless REST API (Chalice app, Lambda proxy)",
            endpoint_configuration={"types": "REGIONAL"},
            binary_media_types=list(resources.API_BINARY_MEDIA_TYPES),
            opts=child,
        )
        proxy = aws.apigateway.Resource(
            "ProxyResource",
            rest_api=self.rest_api.id,
            parent_id=self.rest_api.root_resource_id,
            path_part="{proxy+}",
            opts=child,
        )
        self.methods: dict[str, aws.apigateway.Method] = {}
        self.integrations: dict[str, aws.apigateway.Integration] = {}
        for path, resource_id, label in (("/", self.rest_api.root_resource_id, "Root"),
                                         ("/{proxy+}", proxy.id, "Proxy")):
            method = aws.apigateway.Method(
                f"{label}AnyMethod",
                rest_api=self.rest_api.id,
                resource_id=resource_id,
                http_method="ANY",
                authorization="NONE",  # the app verifies JWTs itself (DECISIONS.md §2)
                opts=child,
            )
            self.methods[path] = method
            self.integrations[path] = aws.apigateway.Integration(
                f"{label}LambdaIntegration",
                rest_api=self.rest_api.id,
                resource_id=resource_id,
                http_method=method.http_method,
                type="AWS_PROXY",
                integration_http_method="POST",  # Lambda is always invoked with POST
                uri=function.invoke_arn,
                opts=child,
            )

        # A deployment is a snapshot: replace it whenever the routes or their target change.
        fingerprint = pulumi.Output.all(
            function.invoke_arn, list(resources.API_BINARY_MEDIA_TYPES), list(PROXY_PATHS)
        ).apply(lambda values: hashlib.sha256(json.dumps(values).encode()).hexdigest())
        self.deployment = aws.apigateway.Deployment(
            "Deployment",
            rest_api=self.rest_api.id,
            description=f"{api_name} routes",
            triggers={"redeployment": fingerprint},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.methods.values(), *self.integrations.values()]),
        )
        self.stage = aws.apigateway.Stage(
            "Stage",
            rest_api=self.rest_api.id,
            deployment=self.deployment.id,
            stage_name=stage,
            opts=child,
        )
        self.permission = aws.lambda_.Permission(
            "ApiInvokePermission",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="apigateway.amazonaws.com",
            # Any stage, method and path of this API only.
            source_arn=pulumi.Output.concat(self.rest_api.execution_arn, "/*/*"),
            opts=child,
        )
        self.domain = aws.apigateway.DomainName(
            "ApiDomain",
            domain_name=domain_name,
            regional_certificate_arn=certificate_arn,
            endpoint_configuration={"types": "REGIONAL"},
            security_policy="TLS_1_2",
            # Created once and kept across deploys: clients and the CNAME at name.com point at it.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.base_path_mapping = aws.apigateway.BasePathMapping(
            "ApiBasePathMapping",
            rest_api=self.rest_api.id,
            stage_name=self.stage.stage_name,
            domain_name=self.domain.domain_name,  # no base_path: the root maps to this stage
            opts=child,
        )
        self.invoke_url = self.stage.invoke_url
        self.domain_target = self.domain.regional_domain_name
        self.register_outputs({"invoke_url": self.invoke_url, "domain_target": self.domain_target})

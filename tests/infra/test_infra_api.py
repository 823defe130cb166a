"""REST API proxying to the api function, and the custom domain (infra.md §4)."""
from infra_harness import CERTIFICATE_ARN, DOMAIN_TARGET, REST_API_ID

SVC = "innova-backend-serverless-prod"
API = "aws:apigateway/"


def test_regional_rest_api_with_binary_media_types(deployment):
    (api,) = deployment.of_type(API + "restApi:RestApi")
    assert api.inputs["name"] == SVC
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert api.inputs["binaryMediaTypes"] == ["multipart/form-data", "image/*"]


def test_any_on_root_and_greedy_proxy_reach_the_api_function_through_lambda_proxy(deployment):
    (api,) = deployment.of_type(API + "restApi:RestApi")
    (proxy,) = deployment.of_type(API + "resource:Resource")
    assert proxy.inputs == {"restApi": REST_API_ID, "parentId": api.state["rootResourceId"], "pathPart": "{proxy+}"}
    function = deployment.get("aws:lambda/function:Function", "api")
    resource_ids = {api.state["rootResourceId"], "proxyres01"}
    methods = deployment.of_type(API + "method:Method")
    assert {m.inputs["resourceId"] for m in methods} == resource_ids
    for method in methods:
        assert method.inputs["httpMethod"] == "ANY"
        assert method.inputs["authorization"] == "NONE"  # JWTs are checked by the app
    integrations = deployment.of_type(API + "integration:Integration")
    assert {i.inputs["resourceId"] for i in integrations} == resource_ids
    for integration in integrations:
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        assert integration.inputs["httpMethod"] == "ANY"
        assert integration.inputs["uri"] == function.state["invokeArn"]


def test_deployment_and_stage_named_after_the_stage(deployment):
    (api_deployment,) = deployment.of_type(API + "deployment:Deployment")
    routes = deployment.of_type(API + "method:Method") + deployment.of_type(API + "integration:Integration")
    assert {r.urn for r in routes} <= set(api_deployment.dependencies)  # snapshot taken after the routes
    assert api_deployment.inputs["triggers"]["redeployment"]
    (stage,) = deployment.of_type(API + "stage:Stage")
    assert stage.inputs["stageName"] == "prod"
    assert stage.inputs["deployment"] == "deploy01"
    assert deployment.outputs["apiInvokeUrl"] == f"https://{REST_API_ID}.execute-api.us-east-1.amazonaws.com/prod"


def test_api_gateway_may_invoke_the_api_function_for_this_api_only(deployment):
    permission = deployment.get("aws:lambda/permission:Permission", "ApiInvokePermission")
    (api,) = deployment.of_type(API + "restApi:RestApi")
    assert permission.inputs == {
        "action": "lambda:InvokeFunction",
        "function": SVC,
        "principal": "apigateway.amazonaws.com",
        "sourceArn": f"{api.state['executionArn']}/*/*",
    }


def test_custom_domain_is_regional_tls_1_2_and_protected(deployment):
    (domain,) = deployment.of_type(API + "domainName:DomainName")
    assert domain.inputs["domainName"] == "api.superprofes.app"
    assert domain.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert domain.inputs["securityPolicy"] == "TLS_1_2"
    assert domain.inputs["regionalCertificateArn"] == CERTIFICATE_ARN
    assert "certificateArn" not in domain.inputs  # that one is for EDGE domains
    assert domain.protect is True


def test_root_base_path_maps_the_domain_to_this_stage(deployment):
    (mapping,) = deployment.of_type(API + "basePathMapping:BasePathMapping")
    assert mapping.inputs.get("basePath", "") == ""
    assert mapping.inputs["stageName"] == "prod"
    assert mapping.inputs["domainName"] == "api.superprofes.app"
    assert mapping.inputs["restApi"] == REST_API_ID


def test_dns_stays_at_name_com_and_the_cname_target_is_an_output(deployment):
    assert [r for r in deployment.resources if r.type.startswith("aws:route53/")] == []
    assert deployment.outputs["apiCustomDomainTarget"] == DOMAIN_TARGET
    assert deployment.outputs["apiCustomDomainUrl"] == "https://api.superprofes.app"

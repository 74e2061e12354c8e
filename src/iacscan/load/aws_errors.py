"""botocore's exceptions -> one-line ``AwsError``s that say what to do.

``fatal`` marks failures of the session itself (no region, no or rejected credentials, an
expired token, an unreachable endpoint): every other stack would fail the same way, so the
loader stops calling AWS after one of them.
"""

from __future__ import annotations

from botocore import exceptions as bx

from iacscan.errors import AwsError

NEEDED_ACTIONS = (
    "cloudformation:DescribeStacks, GetTemplate, ListStackResources, ListExports and ListStacks"
)
CREDENTIALS_HINT = (
    "configure credentials (aws configure), set AWS_PROFILE or pass --profile, or run aws sso login"
)
REFRESH_HINT = "refresh your session (aws sso login, or fresh temporary credentials) and run again"
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_REJECTED = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "IncompleteSignature",
    "AuthFailure",
}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests"}


class FetchError(AwsError):
    """A deployed stack could not be fetched; ``fatal`` when no other stack can be either."""

    def __init__(self, message: str, hint: str, *, fatal: bool = False) -> None:
        super().__init__(message, hint)
        self.fatal = fatal


def aws_error(err: Exception, *, stack: str, region: str | None) -> FetchError:
    """The user-facing form of a botocore exception raised while reading ``stack``."""
    if isinstance(err, bx.NoRegionError):
        return FetchError(
            "no AWS region is set",
            "pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)",
            fatal=True,
        )
    if isinstance(err, bx.ProfileNotFound):
        profile = getattr(err, "kwargs", {}).get("profile", "")
        return FetchError(
            f"the AWS profile {profile!r} is not configured",
            "check --profile / AWS_PROFILE against aws configure list-profiles",
            fatal=True,
        )
    if isinstance(err, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return FetchError("no AWS credentials found", CREDENTIALS_HINT, fatal=True)
    if isinstance(err, (bx.TokenRetrievalError, bx.SSOError, bx.CredentialRetrievalError)):
        return FetchError(
            f"the AWS session cannot be used: {_one_line(str(err))}", REFRESH_HINT, fatal=True
        )
    if isinstance(err, (bx.ConnectionError, bx.HTTPClientError)):
        endpoint = getattr(err, "kwargs", {}).get("endpoint_url") or "the CloudFormation endpoint"
        if isinstance(err, bx.EndpointConnectionError):
            what = f"cannot connect to {endpoint}"
        elif isinstance(err, (bx.ConnectTimeoutError, bx.ReadTimeoutError)):
            what = f"{endpoint} did not answer in time"
        else:
            what = f"cannot reach {endpoint}: {_one_line(str(err))}"
        return FetchError(
            what,
            "check the network and proxy, AWS_ENDPOINT_URL if set, and that the region exists",
            fatal=True,
        )
    if isinstance(err, bx.ClientError):
        return _client_error(err, stack=stack, region=region)
    if isinstance(err, bx.ParamValidationError):
        return FetchError(
            f"invalid request for stack {stack!r}: {_one_line(str(err))}",
            "check the stack name (letters, digits and hyphens, or a stack ARN)",
        )
    return FetchError(
        f"the AWS SDK failed: {_one_line(str(err))}",
        "check the AWS configuration (aws configure list)",
    )


def _client_error(err: bx.ClientError, *, stack: str, region: str | None) -> FetchError:
    error = err.response.get("Error", {}) if isinstance(err.response, dict) else {}
    code = str(error.get("Code", ""))
    text = _one_line(str(error.get("Message", "")))
    action = f"cloudformation:{err.operation_name}"
    if code in _EXPIRED:
        return FetchError(f"the AWS session has expired ({code})", REFRESH_HINT, fatal=True)
    if code in _REJECTED:
        return FetchError(
            f"AWS rejected the credentials ({code})",
            "check the access key and secret, --profile / AWS_PROFILE, and AWS_SESSION_TOKEN "
            "for temporary credentials",
            fatal=True,
        )
    if code in _DENIED:
        return FetchError(
            f"access denied: the caller may not call {action}",
            f"grant {action} to the identity you run as (iacscan reads with {NEEDED_ACTIONS}; "
            "the ReadOnlyAccess managed policy has them all)",
        )
    if code == "ValidationError" and "does not exist" in text:
        where = f" in {region}" if region else ""
        return FetchError(
            f"stack {stack} does not exist{where}",
            "check the name and --region (aws cloudformation list-stacks lists a region's stacks)",
        )
    if code in _THROTTLED:
        return FetchError(
            f"AWS throttled {action} ({code})", "retry later, or scan fewer stacks at once"
        )
    detail = f": {text}" if text else ""
    return FetchError(
        f"{action} failed for stack {stack} ({code}){detail}",
        "check the stack name, the region and the caller's permissions",
    )


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"

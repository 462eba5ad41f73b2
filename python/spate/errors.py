"""One exception hierarchy for everything Spate raises, sync and asyncio alike.

    Error                      base: .code (AWS's name, e.g. "ResourceNotFoundException"),
    |                          .message, .http_status (0 without an answer), .request_id
    +-- ServiceError           the service answered with an error
    |   +-- ResourceNotFound, ResourceInUse, InvalidArgument, LimitExceeded, Throttled
    |   |   (ProvisionedThroughputExceeded and ThrottlingException), ExpiredIterator,
    |   |   ExpiredNextToken, AccessDenied, ValidationError, KMSError, AuthenticationError,
    |   +-- InternalFailure    (5xx)
    +-- NetworkError           no usable answer: ConnectionError, RequestTimeout, BadResponse
    +-- ClientError            raised by the library itself
        +-- QueueFull, Closed, CheckpointStoreError, RecordExpired, HandlerError, NotImplemented

Wrong argument types and sizes raise TypeError / ValueError instead, before anything is sent.
"""


class Error(Exception):
    """Base of every Spate error."""

    code = "Error"

    def __init__(self, message="", *, code=None, http_status=0, request_id=""):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.http_status = http_status
        self.request_id = request_id

    def __str__(self):
        return f"{self.code}: {self.message}"

    def __reduce__(self):
        return (_rebuild, (type(self), self.message, self.code, self.http_status,
                           self.request_id))


def _rebuild(cls, message, code, http_status, request_id):
    return cls(message, code=code, http_status=http_status, request_id=request_id)


class ServiceError(Error):
    """The service answered with an error."""


class NetworkError(Error):
    """No usable answer arrived: connection failure, timeout, or an answer that does not
    decode."""


class ClientError(Error):
    """Raised by the library itself, not by the service."""


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"


class ResourceInUse(ServiceError):
    code = "ResourceInUseException"


class InvalidArgument(ServiceError):
    code = "InvalidArgumentException"


class ValidationError(ServiceError):
    code = "ValidationException"


class LimitExceeded(ServiceError):
    code = "LimitExceededException"


class Throttled(ServiceError):
    code = "ProvisionedThroughputExceededException"


class ExpiredIterator(ServiceError):
    code = "ExpiredIteratorException"


class ExpiredNextToken(ServiceError):
    code = "ExpiredNextTokenException"


class AccessDenied(ServiceError):
    code = "AccessDeniedException"


class AuthenticationError(ServiceError):
    """The request's credentials or signature were refused."""


class KMSError(ServiceError):
    """One of the KMS* errors of encrypted streams."""


class InternalFailure(ServiceError):
    code = "InternalFailure"


class QueueFull(ClientError):
    code = "QueueFull"


class Closed(ClientError):
    code = "Closed"


class CheckpointStoreError(ClientError):
    code = "CheckpointStoreError"


class RecordExpired(ClientError):
    code = "RecordExpired"


class HandlerError(ClientError):
    """A consumer's handler raised. .record is the record it was handling (None for a batch
    handler: then .batch holds the batch), and the handler's exception is __cause__."""

    code = "HandlerError"

    def __init__(self, message="", *, record=None, batch=None, **kw):
        super().__init__(message, **kw)
        self.record = record
        self.batch = batch


class NotImplemented_(ClientError):  # noqa: N801 - NotImplemented is a builtin constant
    code = "NotImplemented"


_BY_CODE = {
    "ResourceNotFoundException": ResourceNotFound,
    "ResourceInUseException": ResourceInUse,
    "InvalidArgumentException": InvalidArgument,
    "ValidationException": ValidationError,
    "SerializationException": ValidationError,
    "LimitExceededException": LimitExceeded,
    "ProvisionedThroughputExceededException": Throttled,
    "ThrottlingException": Throttled,
    "ExpiredIteratorException": ExpiredIterator,
    "ExpiredNextTokenException": ExpiredNextToken,
    "AccessDeniedException": AccessDenied,
    "MissingAuthenticationTokenException": AuthenticationError,
    "IncompleteSignatureException": AuthenticationError,
    "InvalidSignatureException": AuthenticationError,
    "UnrecognizedClientException": AuthenticationError,
    "InternalFailure": InternalFailure,
    "InternalFailureException": InternalFailure,
    "ServiceUnavailable": InternalFailure,
    "ConnectionError": NetworkError,
    "RequestTimeout": NetworkError,
    "BadResponse": NetworkError,
    "QueueFull": QueueFull,
    "Closed": Closed,
    "InvalidOption": ClientError,
    "CheckpointStoreError": CheckpointStoreError,
    "RecordExpired": RecordExpired,
    "HandlerError": HandlerError,
    "NotImplemented": NotImplemented_,
}


def error_class(code):
    """The exception class for an error code (AWS's name or the client's)."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.startswith("KMS"):
        return KMSError
    return ServiceError


def _from_native(code, message, http_status, request_id):
    """Called by spate._core to turn a C++ error into its exception."""
    return error_class(code)(message, code=code, http_status=http_status,
                             request_id=request_id)

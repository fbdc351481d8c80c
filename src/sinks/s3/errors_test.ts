import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { classifyS3Error, describeS3Error, isRetriableS3Error, redact } from "./errors.ts";

function serviceError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: status } });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:19000`), { code });
}

Deno.test("classifyS3Error() sorts SDK errors by what the sink does about them", () => {
  assertEquals(
    [
      serviceError("NoSuchKey", 404),
      serviceError("NotFound", 404),
      serviceError("NoSuchBucket", 404),
      serviceError("Forbidden", 403),
      serviceError("InvalidAccessKeyId", 403),
      serviceError("SignatureDoesNotMatch", 403),
      serviceError("SlowDown", 503),
      serviceError("ServiceUnavailable", 503),
      serviceError("InternalError", 500),
      serviceError("Unknown", 502),
      serviceError("TooManyRequestsException", 429),
      networkError("ECONNREFUSED"),
      networkError("ECONNRESET"),
      networkError("ENOTFOUND"),
      Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      serviceError("InvalidArgument", 400),
      serviceError("NotImplemented", 501),
    ].map(classifyS3Error),
    [
      "not_found",
      "not_found",
      "not_found",
      "access_denied",
      "access_denied",
      "access_denied",
      "throttled",
      "server",
      "server",
      "server",
      "throttled",
      "network",
      "network",
      "network",
      "no_credentials",
      "other",
      "other",
    ],
  );
});

Deno.test("isRetriableS3Error() retries throttling, 5xx and connection errors only", () => {
  equal(isRetriableS3Error(serviceError("SlowDown", 503)), true);
  equal(isRetriableS3Error(serviceError("InternalError", 500)), true);
  equal(isRetriableS3Error(networkError("ECONNREFUSED")), true);
  equal(isRetriableS3Error(serviceError("AccessDenied", 403)), false);
  equal(isRetriableS3Error(serviceError("NoSuchBucket", 404)), false);
  equal(isRetriableS3Error(serviceError("InvalidArgument", 400)), false);
});

Deno.test("describeS3Error() names code and status and never the secret or a signature", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const error = serviceError(
    "SignatureDoesNotMatch",
    403,
    `The request signature we calculated does not match; key ${secret} ` +
      "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA%2F20240101&X-Amz-Signature=abcdef0123456789abcdef",
  );
  const text = describeS3Error(error, [secret]);
  equal(text.startsWith("SignatureDoesNotMatch (HTTP 403): The request signature"), true);
  equal(text.includes(secret), false);
  equal(text.includes("abcdef0123456789abcdef"), false);
  equal(text.includes("AKIA%2F20240101"), false);
  equal(describeS3Error(serviceError("NotFound", 404)), "NotFound (HTTP 404)");
  equal(describeS3Error(networkError("ECONNREFUSED")), "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:19000");
});

Deno.test("redact() hides Authorization credentials and session tokens", () => {
  const header =
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/s3/aws4_request, Signature=0123456789abcdef01";
  equal(redact(header), "AWS4-HMAC-SHA256 Credential=***, Signature=***");
  equal(redact("token FQoGZXIvYXdzEJr is bad", ["FQoGZXIvYXdzEJr"]), "token *** is bad");
});

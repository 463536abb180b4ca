public import Hummingbird
import HTTPTypes
import Foundation

/// Gives every request an id (the caller's `X-Request-Id` when it is sensible, else a new one), puts it
/// in the request's log metadata and echoes it in the response.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[.xRequestID].flatMap(Self.acceptable) ?? UUID().uuidString.lowercased()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        do {
            var response = try await next(request, context)
            response.headers[.xRequestID] = id
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[.xRequestID] = id
            return response
        }
    }

    /// A caller-supplied id is kept only if it is short and plain, so it cannot forge log lines.
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.count),
              value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else { return nil }
        return value
    }
}

/// Turns every error into problem+json: known HTTP errors keep their status; anything else is a 500
/// whose details go to the log, not to the client.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            if error.status == .notFound {
                throw Problem.notFound("No route for \(request.method) \(request.uri.path).")
            }
            throw Problem(status: error.status, type: Problem.typeBase + "http-\(error.status.code)",
                          title: error.status.reasonPhrase, detail: error.body)
        } catch let error as any HTTPResponseError {
            throw Problem(status: error.status, type: Problem.typeBase + "http-\(error.status.code)",
                          title: error.status.reasonPhrase, detail: nil)
        } catch {
            context.logger.error("Request failed", metadata: ["error": "\(String(reflecting: error))"])
            throw Problem.internalError
        }
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-Id")!
}

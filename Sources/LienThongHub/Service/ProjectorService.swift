import LienThongStore
import Logging
import ServiceLifecycle

/// The hub's projector (DESIGN §3, last bullet) as a service: it folds the dossiers touched by newly
/// stored events, each once per pass, so ingest acknowledges after the durable append and never
/// waits for a fold. Its lag (stored − projected positions) is what `hub status` reports.
public struct ProjectorService: Service {
    let database: NodeDatabase
    let logger: Logger
    let interval: Duration

    public init(database: NodeDatabase, logger: Logger, interval: Duration = .milliseconds(100)) {
        self.database = database
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let (events, _) = try database.project()
                if events > 0 { continue }
            } catch {
                logger.error("projector failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

import Dispatch
import Foundation

/// Blocks until SIGINT or SIGTERM arrives (Ctrl-C, or `kill`).
enum ShutdownSignals {
    static func wait() {
        let arrived = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { arrived.signal() }
            source.resume()
            sources.append(source)
        }
        arrived.wait()
        withExtendedLifetime(sources) {}
    }
}

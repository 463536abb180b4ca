public import AccreditationCore
import Foundation
import Yams

/// Programme timings from a small YAML file (`--workflow-settings`), so a programme with other deadlines
/// needs no code change. Every key is optional; unknown keys and out-of-range values are refused.
public enum WorkflowSettingsFile {
    static var dayFields: [(key: String, path: WritableKeyPath<WorkflowSettings, Int>)] { [
        ("self_assessment_window_days", \.selfAssessmentWindowDays),
        ("appeal_window_days", \.appealWindowDays),
        ("corrective_action_days", \.correctiveActionDays),
        ("rfi_response_days", \.rfiResponseDays),
    ] }

    public static func load(_ path: String) throws -> WorkflowSettings {
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError(source: "workflow settings file", value: path, expected: message)
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw fail("a readable UTF-8 file") }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw fail("valid YAML (\(error))")
        }
        guard let values = loaded as? [String: Any] else { throw fail("a mapping of setting names to values") }
        let known = dayFields.map(\.key) + ["expiry_reminder_days", "level_two_threshold"]
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw fail("known keys only (\(known.joined(separator: ", "))); '\(unknown)' is not one")
        }
        var settings = WorkflowSettings()
        for (key, path) in dayFields {
            guard let raw = values[key] else { continue }
            guard let days = raw as? Int, (1...3650).contains(days) else { throw fail("\(key) to be a whole number of days from 1 to 3650") }
            settings[keyPath: path] = days
        }
        if let raw = values["expiry_reminder_days"] {
            guard let days = raw as? [Int], days.allSatisfy({ (1...3650).contains($0) }) else {
                throw fail("expiry_reminder_days to be a list of whole numbers of days from 1 to 3650")
            }
            settings.expiryReminderDays = days
        }
        if let raw = values["level_two_threshold"] {
            guard let share = (raw as? Double) ?? (raw as? Int).map(Double.init), (0...1).contains(share) else {
                throw fail("level_two_threshold to be a number from 0 to 1")
            }
            settings.levelTwoThreshold = share
        }
        return settings
    }
}

# A wait that would wrap the clock (307445734561825861 minutes is 2^64 ms plus 44 s) is refused,
# not silently taken as 44 s.
# expect: Then the bot receives notifications in order within 307445734561825861 minutes:
# expect: "307445734561825861 minutes" is too long: durations are at most 365 days
Feature: Must fail - a wait that overflows
  Scenario: Waits 307445734561825861 minutes
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order within 307445734561825861 minutes:
      | resourceData.state |
      | establishing       |

# The "closest" notification of an expectation that matches none is the one with most of the
# expected values: here the tone notification, not the first one, which lacks toneInfo.
# expect: expected 1 matches no notification; closest is "updated /communications/calls/
# expect: expected 1.resourceData.toneInfo.sequenceId: expected 7, got 1
# never: toneInfo: expected an object, got (absent)
@mock-only
Feature: Must fail - the closest notification
  Scenario: A tone with the wrong sequence number
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    And the bot subscribes to tones
    And the callee presses 5 after 2 seconds
    Then the bot's notifications eventually include:
      """
      - resourceData:
          toneInfo:
            tone: tone5
            sequenceId: 7
      """

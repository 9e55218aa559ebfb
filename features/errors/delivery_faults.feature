@errors @delivery @mock-only
Feature: The bot's callback fails
  When the bot's callback answers with an error, or cannot be reached, the stand-in records the
  failed delivery; a spec can assert it. (The stand-in does not retry.)

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"

  Scenario: The callback answers 500
    Given the bot's callback answers 500
    When the bot creates the call
    Then the response status is 201
    And the bot receives no further notifications within 1 minute
    # establishing, established, the media update, the chat, the meeting, the roster
    And the stand-in recorded 6 failed deliveries

  Scenario: The callback cannot be reached
    Given the bot's callback cannot be reached
    When the bot creates the call
    Then the bot receives no further notifications within 1 minute
    And the stand-in recorded 6 failed deliveries

  Scenario: A healthy callback has no failed deliveries
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
    And the stand-in recorded 0 failed deliveries

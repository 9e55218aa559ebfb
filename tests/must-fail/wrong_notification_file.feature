# A notification list file that must fail.
# expect: notification 4 does not match
# expect: notification 4.resourceData[0].isInLobby: expected true, got false
Feature: Must fail - notification file
  Scenario: The organizer is expected in the lobby
    Given a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order from "notifications/organizer-in-lobby.yaml"

# An envelope of another type: the POST, the JSON path and what it carried.
# expect: And every notification POST is a "#microsoft.graph.commsNotification" envelope
# expect: notification POST 1: $["@odata.type"] is "#microsoft.graph.commsNotifications", expected "#microsoft.graph.commsNotification"
# expect: - updated /communications/calls/
Feature: Must fail - envelope type
  Scenario: The item type is expected on the envelope
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
    And every notification POST is a "#microsoft.graph.commsNotification" envelope

@lifecycle @delivery @mock-only
Feature: Notifications out of order, or twice
  Graph warns that notifications "may arrive out of order"; a retried delivery arrives twice.
  Bots must cope: these specs use the assertion forms made for that.

  Scenario: Out of order: "in any order" still holds
    Given the stand-in delivers notifications out of order
    And a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in any order:
      | resourceUrl                                   | resourceData.state | resourceData.mediaState.audio | resourceData.chatInfo | resourceData.meetingInfo |
      | /communications/calls/${call.id}              | establishing       |                               | "#object"             | "#object"                |
      | /communications/calls/${call.id}              | established        | "#notpresent"                 | "#object"             | "#object"                |
      | /communications/calls/${call.id}              | established        | active                        | "#notpresent"         | "#notpresent"            |
      | /communications/calls/${call.id}/participants |                    |                               |                       |                          |

  Scenario: Out of order, the same way every run
    Given the stand-in delivers notifications out of order
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | established        |
      | establishing       |

  Scenario: Every notification twice: "eventually include" still holds
    Given the stand-in delivers every notification twice
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot's notifications eventually include:
      | resourceData.state |
      | established        |
      | establishing       |
    And the bot receives no further notifications within 1 minute

  Scenario: Twice, visibly
    Given the stand-in delivers every notification twice
    And a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | establishing       |
      | established        |
      | established        |

  Scenario: Batched: what happens at one moment comes in one POST
    Real Graph may put several notifications in one POST (the envelope's value is a list).
    A meeting join's established, media and roster happen at the same moment.

    Given the stand-in batches notifications
    And a call request from template "v1/join-meeting-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
      |                    |
    And every notification POST is a "#microsoft.graph.commsNotifications" envelope
    And notification POST 1 held 1 notification
    And notification POST 2 held 3 notifications

  Scenario: Not batched: one notification per POST
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
    And every notification POST is a "#microsoft.graph.commsNotifications" envelope
    And notification POST 3 held 1 notification

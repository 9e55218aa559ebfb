@lifecycle @mock-only
Feature: Two calls in one scenario
  The inbox keeps notifications per call: each call's sequence is asserted on its own.

  Scenario: A call that is answered and one that is not
    Given a call request from template "v1/p2p-voip-service-hosted"
    And "John" answers after 2 seconds
    And "Alice" does not answer
    When the bot creates the call as "john"
    Given the request sets:
      | path                                 | value |
      | targets[0].identity.user.displayName | Alice |
      | targets[0].identity.user.id          | alice |
    When the bot creates the call as "alice"
    Then the bot receives notifications in order within 2 minutes:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | updated    | establishing       |                                 |
      | deleted    | terminated         | 10057                           |
    When the bot switches to the call "john"
    Then the bot receives notifications in order:
      | resourceUrl                      | resourceData.state | resourceData.mediaState.audio |
      | /communications/calls/${call.id} | establishing       |                               |
      | /communications/calls/${call.id} | established        |                               |
      | /communications/calls/${call.id} | established        | active                        |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 1 minute

@lifecycle @operations @mock-only
Feature: The bot's operations on an established call

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |

  Scenario: A prompt plays and completes
    When the bot plays a prompt
    Then the response status is 200
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}/operations/${operation.id}"
    And the response has:
      | path            | value                                  |
      | ["@odata.type"] | "#microsoft.graph.playPromptOperation" |
      | id              | "#uuid"                                |
      | status          | running                                |
      | clientContext   | "#string"                              |
    # The completion echoes the operation: its prompts and how it completed (capture
    # P2PTest1Event5PlayPromptFinish.json).
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in order:
      """
      - changeType: deleted
        resource: /app/calls/${call.id}/operations/${operation.id}
        resourceUrl: /communications/calls/${call.id}/operations/${operation.id}
        resourceData:
          "@odata.type": "#microsoft.graph.playPromptOperation"
          id: "${operation.id}"
          prompts: "#array"
          completionReason: completedSuccessfully
          status: completed
          clientContext: "${operation.clientContext}"
          resultInfo: { code: 200, subcode: 0, message: Action completed successfully. }
          callChainId: "#notpresent"
      """

  Scenario: Keep-alive
    When the bot keeps the call alive
    Then the response status is 200

  Scenario: Mute and unmute
    When the bot mutes itself
    Then the response status is 200
    And the response has:
      | path            | value                                       |
      | ["@odata.type"] | "#microsoft.graph.muteParticipantOperation" |
      | status          | completed                                   |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData[1].id         | resourceData[1].isMuted |
      | /communications/calls/${call.id}/participants | "${call.myParticipantId}" | true                    |
    When the bot unmutes itself
    Then the response status is 200
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData[1].isMuted |
      | /communications/calls/${call.id}/participants | false                   |

  Scenario: Tones reach the bot once it subscribed
    When the callee presses 4
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    Then the bot receives no further notifications within 5 seconds
    When the bot subscribes to tones
    Then the response status is 200
    And the response has:
      | path   | value     |
      | status | completed |
    When the callee presses 5
    And the callee presses "#" after 1 second
    Then the bot receives notifications in order:
      | changeType | resourceUrl                      | resourceData.toneInfo.tone | resourceData.toneInfo.sequenceId |
      | updated    | /communications/calls/${call.id} | tone5                      | 1                                |
      | updated    | /communications/calls/${call.id} | pound                      | 2                                |

  Scenario: Inviting a participant who accepts
    When the bot invites "Alice" to the call
    Then the response status is 200
    And the response has:
      | path                                     | value                                          |
      | ["@odata.type"]                          | "#microsoft.graph.inviteParticipantsOperation" |
      | status                                   | running                                        |
      | participants[0].identity.user.displayName | Alice                                         |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in any order:
      | resourceUrl                                                 | resourceData.status | resourceData[1].info.identity.user.displayName |
      | /communications/calls/${call.id}/operations/${operation.id} | completed           |                                                |
      | /communications/calls/${call.id}/participants               |                     | Alice                                          |

  Scenario: Inviting a participant who declines
    Given "Alice" declines
    When the bot invites "Alice" to the call
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    Then the bot receives notifications in order:
      | resourceUrl                                                 | resourceData.status | resourceData.resultInfo.code |
      | /communications/calls/${call.id}/operations/${operation.id} | failed              | 603                          |
    And the bot receives no further notifications within 10 seconds

  Scenario: An invitee answering after the ringing timeout never joins
    Given "Alice" answers after 90 seconds
    When the bot invites "Alice" to the call
    Then the response status is 200
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives no further notifications within 58 seconds
    And the bot receives notifications in order within 2 seconds:
      | resourceUrl                                                 | resourceData.status | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | /communications/calls/${call.id}/operations/${operation.id} | failed              | 408                          | 10057                           |
    And the bot receives no further notifications within 1 minute

  Scenario: A transfer that the target accepts ends the bot's call
    When the bot transfers the call to "Alice"
    Then the response status is 202
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | transferring       |                              |                                 |
      | updated    | transferAccepted   |                              |                                 |
      | deleted    | terminated         | 0                            | 7015                            |
    And the bot's notifications eventually include:
      | resourceData.resultInfo.message |
      | GracefulTransferCompleted       |

  Scenario: A transfer that the target declines leaves the call established
    Given the transfer target declines
    When the bot transfers the call to "Alice"
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | transferring       |                              |                                 |
      | updated    | established        | 500                          | 7000                            |
    When the bot keeps the call alive
    Then the response status is 200

  Scenario: An operation on an ended call is not found
    When the bot hangs up
    And the bot plays a prompt
    Then the response is the Graph error 404 "8522"
    When the bot sends "subscribeToTone" with:
      """
      clientContext: late
      """
    Then the response is the Graph error 404 "8522"

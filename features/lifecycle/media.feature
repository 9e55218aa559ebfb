@lifecycle @operations @mock-only
Feature: The bot records the caller, cancels media, and sees a screen shared
  recordResponse runs as a real operation (call-record.md): the other side speaks, stays
  silent or presses a stop tone, and the completion says how the recording ended, with a
  recordingLocation the bot downloads with its recordingAccessToken. cancelMediaProcessing
  fails the running prompts and recordings (call-cancelmediaprocessing.md).

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    And the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |

  Scenario: The caller leaves a message and falls silent
    When the caller speaks for 3 seconds
    And the bot records a response of at most 30 seconds
    Then the response status is 200
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}/operations/${operation.id}"
    And the response has:
      | path              | value                             |
      | ["@odata.type"]   | "#microsoft.graph.recordOperation" |
      | status            | running                           |
      | recordingLocation | null                              |
    And the bot receives notifications in order:
      """
      - changeType: deleted
        resourceUrl: /communications/calls/${call.id}/operations/${operation.id}
        resourceData:
          "@odata.type": "#microsoft.graph.recordOperation"
          status: completed
          completionReason: maxSilenceTimeout
          recordingLocation: "#string"
          recordingAccessToken: "#string"
      """

  Scenario: A silent caller is not recorded
    When the caller stays silent
    And the bot records a response of at most 30 seconds
    Then the response status is 200
    And the bot receives notifications in order:
      """
      - resourceUrl: /communications/calls/${call.id}/operations/${operation.id}
        resourceData:
          completionReason: initialSilenceTimeout
          recordingLocation: ""
      """

  Scenario: The caller speaks too long
    When the caller speaks for 60 seconds
    And the bot records a response of at most 10 seconds
    Then the bot receives notifications in order:
      """
      - resourceUrl: /communications/calls/${call.id}/operations/${operation.id}
        resourceData:
          completionReason: maxRecordDurationReached
          resultInfo: { code: 200, subcode: 8515, message: "Action completed, max record duration reached." }
      """

  Scenario: The bot cancels the recording
    When the caller speaks for 60 seconds
    And the bot records a response of at most 60 seconds
    And the bot sends "cancelMediaProcessing" with:
      """
      clientContext: cancel-1
      """
    Then the response status is 200
    And the response has:
      | path            | value                                            |
      | ["@odata.type"] | "#microsoft.graph.cancelMediaProcessingOperation" |
      | status          | completed                                        |
    And the bot receives notifications in order:
      """
      - resourceData:
          "@odata.type": "#microsoft.graph.recordOperation"
          status: failed
          completionReason: operationCanceled
          resultInfo: { code: 400, subcode: 8508 }
      """

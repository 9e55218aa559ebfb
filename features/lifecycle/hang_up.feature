@lifecycle @mock-only
Feature: The bot hangs up
  DELETE on the call answers 204; the bot then gets "terminating" and a "deleted" notification
  with the call terminated and resultInfo 200/5001. The ended call is gone: any operation on it
  answers 404 with code 8522.

  Scenario: Hanging up an established call
    Given a call request from template "v1/p2p-voip-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state | resourceData.mediaState.audio |
      | establishing       |                               |
      | established        |                               |
      | established        | active                        |
    When the bot hangs up
    Then the response status is 204
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in order:
      """
      - changeType: updated
        resourceUrl: /communications/calls/${call.id}
        resourceData:
          state: terminating
          resultInfo: "#notpresent"
      - changeType: deleted
        resourceUrl: /communications/calls/${call.id}
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: terminated
          # call-delete.md's example says "The conversation has ended."; real end messages
          # carry a DiagCode suffix (captures P2PTest1Event6HangUp.json, GroupCallEnd.json).
          resultInfo:
            code: 200
            subcode: 5001
            message: "The conversation has ended. DiagCode: 0#5001.@"
          meetingCapability: "#object"
          coOrganizers: []
          callChainId: "${call.callChainId}"
      """
    And the bot receives no further notifications within 1 minute
    When the bot gets the call
    Then the response is the Graph error 404 "8522"
    And the response error message is "Call not found."
    When the bot hangs up
    Then the response is the Graph error 404 "8522"
    When the bot keeps the call alive
    Then the response is the Graph error 404 "8522"

  Scenario: Hanging up before the callee answers drops the answer
    Given a call request from template "v1/p2p-voip-service-hosted"
    And the callee answers after 20 seconds
    When the bot creates the call
    And the bot hangs up
    Then the response status is 204
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
      | updated    | terminating        |
      | deleted    | terminated         |
    And the bot receives no further notifications within 1 minute

  @beta
  Scenario: Hanging up a call created on the old beta path
    Given a call request from template "beta/p2p-service-hosted"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resource              | resourceData.state |
      | /app/calls/${call.id} | establishing       |
      | /app/calls/${call.id} | established        |
      | /app/calls/${call.id} | established        |
    When the bot hangs up
    Then the response status is 204
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    And the bot receives notifications in order:
      | changeType | resource              | resourceData.state | resourceData.resultInfo.subcode |
      | updated    | /app/calls/${call.id} | terminating        |                                 |
      | deleted    | /app/calls/${call.id} | terminated         | 5001                            |

@recording @mock-only
Feature: Policy-based (compliance) recording
  A user whose Teams recording policy names the bot calls someone or joins a meeting: Teams
  invites the bot, an incoming call whose source is the recorded user and whose incomingContext
  observes them (comms-samples #596, #667; msteams-docs #9159, #9170). The bot answers, then
  reports that it records with updateRecordingStatus (call-updaterecordingstatus.md): 200, a
  completed updateRecordingStatusOperation and its Location. Under a strict policy the call is
  cancelled when the bot does not record (New-CsTeamsComplianceRecordingApplication:
  RequiredBeforeCallEstablishment, RequiredDuringCall); see FIDELITY.md.

  Scenario: The invite names the recorded user; the bot answers and records
    When "John" starts a call with "Alice" that Teams records with the bot
    Then the bot receives notifications in order:
      """
      - changeType: created
        resourceUrl: /communications/calls/${call.id}
        resourceData:
          "@odata.type": "#microsoft.graph.call"
          state: incoming
          direction: incoming
          source:
            "@odata.type": "#microsoft.graph.participantInfo"
            id: "#uuid"
            identity:
              user:
                displayName: John
          incomingContext:
            "@odata.type": "#microsoft.graph.incomingContext"
            sourceParticipantId: "${call.source.id}"
            observedParticipantId: "${call.source.id}"
            onBehalfOf:
              user:
                displayName: John
          meetingInfo: "#notpresent"
          tenantId: "#uuid"
          applicationMetadata:
            botData:
              inviteReasons: [ComplianceRecording]
              otherSideUser: "#object"
      """
    When the bot answers the call
    Then the response status is 202
    When the bot reports the recording status "recording"
    Then the response status is 200
    And the response header "Location" is "${graph}/v1.0/communications/calls/${call.id}/operations/${operation.id}"
    And the response has:
      | path            | value                                              |
      | ["@odata.type"] | "#microsoft.graph.updateRecordingStatusOperation" |
      | status          | completed                                          |
      | resultInfo      | "#null"                                            |
      | clientContext   | "#string"                                          |
    And the bot reports the recording status "recording"
    # An incoming call from a Teams user: its media update names the call's chat and tenant
    # (comms-samples #700).
    And the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.chatInfo.messageId | resourceData.tenantId |
      | updated    | establishing       | "#notpresent"                   | "#notpresent"         |
      | updated    | established        | "#notpresent"                   | "#notpresent"         |
      | updated    | established        | "0"                             | "#uuid"               |
    And the bot receives no further notifications within 1 minute

  Scenario: A recorded meeting's invite carries the meeting's chat and token
    When "John" joins a meeting that Teams records with the bot
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.chatInfo.threadId        | resourceData.meetingInfo["@odata.type"] | resourceData.applicationMetadata.botData.isMultiParty |
      | created    | incoming           | "#regex 19:meeting_.+@thread[.]v2"    | "#microsoft.graph.tokenMeetingInfo"     | true                                                  |

  Scenario: The SDKs' OData-qualified name, and the status as it changes
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    And the bot sends "microsoft.graph.updateRecordingStatus" with:
      """
      clientContext: c-1
      status: recording
      """
    Then the response status is 200
    And the response has:
      | path          | value     |
      | clientContext | c-1       |
      | status        | completed |
    When the bot reports the recording status "notRecording"
    Then the response status is 200
    And the bot reports the recording status "notRecording"

  Scenario: A strict policy ends the call when the bot does not report that it records
    Given the recording policy is strict
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    Then the bot receives notifications in order:
      | changeType | resourceData.state |
      | created    | incoming           |
      | updated    | establishing       |
      | updated    | established        |
      | updated    | established        |
    # The bot's leg is established 1 s after the answer; the policy waits 10 s more.
    And the bot receives no further notifications within 9 seconds
    And the bot receives notifications in order within 2 seconds:
      | changeType | resourceData.state | resourceData.resultInfo.code |
      | deleted    | terminated         | 403                          |
    When the bot reports the recording status "recording"
    Then the response is the Graph error 404 "8522"

  Scenario: Under a strict policy a bot that records keeps the call
    Given the recording policy is strict
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    And the bot reports the recording status "recording"
    Then the bot receives notifications in order:
      | changeType | resourceData.state |
      | created    | incoming           |
      | updated    | establishing       |
      | updated    | established        |
      | updated    | established        |
    And the bot receives no further notifications within 1 minute

  Scenario: Under a strict policy a recorder that fails ends the call
    Given the recording policy is strict
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    And the bot reports the recording status "failed"
    Then the response status is 200
    And the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.code |
      | created    | incoming           |                              |
      | updated    | establishing       |                              |
      | deleted    | terminated         | 403                          |
    And the bot receives no further notifications within 1 minute

  Scenario: A lenient policy lets the call go on unrecorded
    When "John" starts a call that Teams records with the bot
    And the bot answers the call
    Then the bot receives notifications in order:
      | changeType | resourceData.state |
      | created    | incoming           |
      | updated    | establishing       |
      | updated    | established        |
      | updated    | established        |
    And the bot receives no further notifications within 1 minute

  Scenario: Only a policy's call takes a recording status; the status is checked
    When "John" calls the bot
    And the bot answers the call
    And the bot reports the recording status "recording"
    Then the response is the Graph error 403 "8506"
    And the response error message is "API call not allowed for non-Compliance Recording call"
    When "Mary" starts a call that Teams records with the bot
    And the bot reports the recording status "recording"
    Then the response is the Graph error 400 "BadRequest"
    And the response error message is "Cannot update the recording status of a call in state incoming."
    When the bot answers the call
    And the bot reports the recording status "started"
    Then the response is the Graph error 400 "BadRequest"
    And the response error message is "'started' is not a recording status: use notRecording, recording or failed."

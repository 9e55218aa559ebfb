@lifecycle @p2p @mock-only
Feature: What the callee does
  The other side of a peer-to-peer call is scripted in plain language. Every duration is
  simulated: a callee that rings for a minute costs no wall time, and the order of events is the
  order their simulated times give.

  Background:
    Given a call request from template "v1/p2p-voip-service-hosted"

  Scenario: The callee answers after 30 seconds
    Given the callee answers after 30 seconds
    When the bot creates the call
    Then the response status is 201
    And the bot receives notifications in order:
      | changeType | resourceData.state |
      | updated    | establishing       |
    And the bot receives no further notifications within 29 seconds
    And the bot receives notifications in order within 2 seconds:
      | changeType | resourceData.state | resourceData.mediaState.audio |
      | updated    | established        | "#notpresent"                 |
      | updated    | established        | active                        |

  Scenario: An answer after the ringing timeout never connects
    A callee that would pick up after the ringing timeout finds the call gone: it ends at the
    timeout, 408/10057, and nothing arrives when the late answer would have.

    Given the callee answers after 70 seconds
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
    And the bot receives no further notifications within 59 seconds
    And the bot receives notifications in order within 1 second:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | deleted    | terminated         | 408                          | 10057                           |
    And the bot receives no further notifications within 1 minute

  Scenario: An answer after the call's own ringing timeout never connects
    Given the callee answers after 20 seconds
    And the request sets "ringingTimeoutInSeconds" to "15"
    When the bot creates the call
    Then the bot receives notifications in order within 1 minute:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | updated    | establishing       |                                 |
      | deleted    | terminated         | 10057                           |
    And the bot receives no further notifications within 1 minute

  Scenario: Arrival times count from the create, in simulated time
    Given the callee answers after 50 seconds
    When the bot creates the call
    Then notification 1 arrived 0 seconds after the create
    And notification 2 arrived 50 seconds after the create

  Scenario: Arrival times in the notifications table
    Given the callee answers after 45 seconds
    And the callee hangs up after 10 seconds
    When the bot creates the call
    # A call with a Teams user: the media, its chat, the meeting Graph hosts it in, the two of
    # them (capture P2PTest2Event3..6; FIDELITY.md).
    Then the bot receives notifications in order within 1 minute:
      | at     | changeType | resourceData.state |
      | +0 s   | updated    | establishing       |
      | +45 s  | updated    | established        |
      | +45 s  | updated    | established        |
      | +45 s  | updated    | established        |
      | +45 s  | updated    | established        |
      | +45 s  | updated    |                    |
      | +55 s  | deleted    | terminated         |

  Scenario Outline: The callee does not take the call: <behaviour>
    Given the callee <behaviour>
    When the bot creates the call
    Then the response status is 201
    And the bot receives notifications in order within 5 minutes:
      | changeType | resourceUrl                      | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode |
      | updated    | /communications/calls/${call.id} | establishing       |                              |                                 |
      | deleted    | /communications/calls/${call.id} | terminated         | <code>                       | <subcode>                       |
    And the bot receives no further notifications within 1 minute
    When the bot gets the call
    Then the response is the Graph error 404 "8522"

    # "declines": the stand-in used 603/0 of its own; a captured peer-to-peer call that never
    # connected (tests/fixtures/captures, FailedP2P/CallDeleted.json) ended 200/5002, the likely
    # cause a decline. The stand-in follows the capture. "is busy" stays the stand-in's 486/0.
    Examples:
      | behaviour         | code | subcode |
      | does not answer   | 408  | 10057   |
      | cannot be found   | 480  | 10037   |
      | cannot be reached | 480  | 10076   |
      | declines          | 200  | 5002    |
      | is busy           | 486  | 0       |

  Scenario: Nobody answers before the call's own ringing timeout
    Given the callee does not answer
    And the request sets "ringingTimeoutInSeconds" to "45"
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
    And the bot receives no further notifications within 44 seconds
    And the bot receives notifications in order within 1 second:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | deleted    | terminated         | 10057                           |

  Scenario: The callee answers and hangs up ten seconds later
    Given the callee answers after 2 seconds
    And the callee hangs up after 10 seconds
    When the bot creates the call
    # call-delete.md lists 200/4097 for "ended by the other participant"; the captured
    # peer-to-peer hang-up (P2PTest1Event6HangUp.json) is 200/5002 with a DiagCode message.
    # The stand-in follows the capture.
    # A call with a Teams user: then its chat, Graph's meeting and the roster of two
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.code | resourceData.resultInfo.subcode | resourceData.resultInfo.message                 |
      | updated    | establishing       | "#notpresent"                |                                 |                                                 |
      | updated    | established        | "#notpresent"                |                                 |                                                 |
      | updated    | established        | "#notpresent"                |                                 |                                                 |
      | updated    | established        | "#notpresent"                |                                 |                                                 |
      | updated    | established        | "#notpresent"                |                                 |                                                 |
      | updated    |                    | "#notpresent"                |                                 |                                                 |
      | deleted    | terminated         | 200                          | 5002                            | The conversation has ended. DiagCode: 0#5002.@ |
    And the bot receives no further notifications within 1 minute

  Scenario: The callee hangs up while the bot is in the call
    When the bot creates the call
    Then the bot receives notifications in order:
      | resourceData.state |
      | establishing       |
      | established        |
      | established        |
    When the callee hangs up after 5 seconds
    # A call with a Teams user: its chat, the meeting Graph hosts it in, the two of them
    # (capture P2PTest2Event4..6; FIDELITY.md).
    Then the bot receives notifications in order:
      | resourceUrl                                   | resourceData.chatInfo.messageId |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}              | "0"                             |
      | /communications/calls/${call.id}/participants |                                 |
    Then the bot receives notifications in order:
      | changeType | resourceData.state | resourceData.resultInfo.subcode |
      | deleted    | terminated         | 5002                            |
    When the bot hangs up
    Then the response is the Graph error 404 "8522"

  Scenario: A within window starts with its step, and its end is inclusive
    Given the callee answers after 30 seconds
    When the bot creates the call
    Then the bot receives notifications in order within 30 seconds:
      | resourceData.state |
      | establishing       |
      | established        |

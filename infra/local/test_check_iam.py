"""The IAM evaluator of check_iam.py on cases whose AWS answer is known (make test).

A checker that allowed everything would pass every template; these pin its decisions to
IAM's documented behaviour, including the traps it must reproduce rather than hide.
"""
import unittest

from check_iam import Request, condition_holds, decide, requests_for

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/OrdersTable"
OWN_ITEMS = {
    "Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem"], "Resource": TABLE,
    "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["EVENT#olaclick#*", "ORDER#olaclick#*"]}},
}


def leading(action, *keys):
    return Request(action, TABLE, {"dynamodb:LeadingKeys": list(keys)})


class Evaluation(unittest.TestCase):
    def test_an_action_no_statement_names_is_implicitly_denied(self):
        # The bug this check was built for: receivers query the location map.
        self.assertEqual(decide([OWN_ITEMS], leading("dynamodb:Query", "LOCATION#olaclick"))[0], "implicit deny")

    def test_leading_keys_scope_writes_to_one_platform(self):
        self.assertEqual(decide([OWN_ITEMS], leading("dynamodb:PutItem", "EVENT#olaclick#e1"))[0], "allow")
        self.assertEqual(decide([OWN_ITEMS], leading("dynamodb:PutItem", "EVENT#oolio#e1"))[0], "implicit deny")
        self.assertEqual(decide([OWN_ITEMS], leading("dynamodb:UpdateItem", "LOCATION#olaclick"))[0], "implicit deny")

    def test_for_all_values_on_a_missing_key_is_vacuously_true(self):
        # As in AWS: a request without partition keys (e.g. a Scan) is not limited by it.
        self.assertEqual(decide([OWN_ITEMS], Request("dynamodb:PutItem", TABLE))[0], "allow")
        self.assertTrue(condition_holds("ForAllValues:StringEquals", "k", ["a"], {}))
        self.assertFalse(condition_holds("ForAnyValue:StringEquals", "k", ["a"], {}))
        self.assertFalse(condition_holds("StringEquals", "k", ["a"], {}))
        self.assertTrue(condition_holds("StringEqualsIfExists", "k", ["a"], {}))

    def test_explicit_deny_wins(self):
        deny = {"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}
        self.assertEqual(decide([OWN_ITEMS, deny], leading("dynamodb:PutItem", "EVENT#olaclick#e1"))[0], "explicit deny")

    def test_actions_match_without_case_resources_with_it(self):
        st = {"Effect": "Allow", "Action": "S3:putobject", "Resource": "arn:aws:s3:::b/events/olaclick/*"}
        self.assertEqual(decide([st], Request("s3:PutObject", "arn:aws:s3:::b/events/olaclick/x/body.json"))[0], "allow")
        self.assertEqual(decide([st], Request("s3:PutObject", "arn:aws:s3:::b/events/Olaclick/x"))[0], "implicit deny")
        self.assertEqual(decide([st], Request("s3:PutObject", "arn:aws:s3:::b/events/oolio/x"))[0], "implicit deny")
        self.assertEqual(decide([st], Request("s3:GetObject", "arn:aws:s3:::b/events/olaclick/x"))[0], "implicit deny")

    def test_not_action_and_not_resource(self):
        st = {"Effect": "Allow", "NotAction": "sqs:DeleteQueue", "NotResource": "arn:aws:sqs:*:*:other"}
        self.assertEqual(decide([st], Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q"))[0], "allow")
        self.assertEqual(decide([st], Request("sqs:DeleteQueue", "arn:aws:sqs:us-east-1:1:q"))[0], "implicit deny")
        self.assertEqual(decide([st], Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:other"))[0], "implicit deny")

    def test_an_unknown_condition_operator_stops_the_check(self):
        with self.assertRaises(SystemExit):
            condition_holds("DateGreaterThan", "aws:CurrentTime", ["2020-01-01"], {"aws:CurrentTime": "x"})


if __name__ == "__main__":
    unittest.main()


class Translation(unittest.TestCase):
    def test_sqs_batch_operations_are_authorized_as_their_single_message_action(self):
        queue = "arn:aws:sqs:us-east-1:123456789012:AckQueue.fifo"
        names = {"AckQueue": {"Arn": queue}}
        for op, action in [("SendMessageBatch", "sqs:SendMessage"), ("SendMessage", "sqs:SendMessage"),
                           ("DeleteMessageBatch", "sqs:DeleteMessage")]:
            call = {"service": "sqs", "operation": op, "queue": {"Ref": "AckQueue"}}
            [request] = requests_for(call, names)
            self.assertEqual((request.action, request.resource), (action, queue), op)


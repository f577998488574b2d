"""Shapes of the operator inbox and of Twilio's webhook posts (for the schema)."""
from rest_framework import serializers

from backend.notifications.models import InboxItem, InboxKind, InboxStatus


class InboxFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboxStatus.choices, required=False,
                                     default=InboxStatus.OPEN)
    kind = serializers.ChoiceField(choices=InboxKind.choices, required=False)


class InboxItemOutputSerializer(serializers.ModelSerializer):
    reader = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = InboxItem
        fields = ["id", "kind", "status", "urgent", "phone", "text", "reader", "order",
                  "assignee", "created_at", "done_at"]

    def get_reader(self, obj) -> dict | None:
        if obj.reader is None:
            return None
        return {"id": obj.reader_id, "full_name": obj.reader.full_name,
                "card_number": obj.reader.card_number}

    def get_assignee(self, obj) -> str | None:
        return str(obj.assignee) if obj.assignee_id else None


class TwilioSmsSerializer(serializers.Serializer):
    MessageSid = serializers.CharField()
    From = serializers.CharField()
    To = serializers.CharField(required=False)
    Body = serializers.CharField(allow_blank=True)


class TwilioStatusSerializer(serializers.Serializer):
    MessageSid = serializers.CharField(required=False)
    MessageStatus = serializers.CharField(required=False)
    CallSid = serializers.CharField(required=False)
    CallStatus = serializers.CharField(required=False)
    ErrorCode = serializers.CharField(required=False)


class TwilioVoiceSerializer(serializers.Serializer):
    CallSid = serializers.CharField()
    From = serializers.CharField()
    To = serializers.CharField(required=False)

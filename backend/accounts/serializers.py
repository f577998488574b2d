"""Shapes of the token answers, shared by the staff API and the volunteers' app."""
from rest_framework import serializers


class TokensSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()

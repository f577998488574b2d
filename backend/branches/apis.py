from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView

from backend.branches.models import Branch
from backend.core.schema import errors


class BranchListApi(GenericAPIView):
    class BranchOutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Branch
            fields = [
                "id", "code", "name", "is_central", "settlement", "address", "lat", "lon",
                "phone", "duty_phone", "time_zone", "loan_days", "max_renewals",
                "reader_loan_limit", "family_loan_limit", "history_months", "quiet_hours_start",
                "quiet_hours_end",
            ]

    serializer_class = BranchOutputSerializer
    queryset = Branch.objects.all()

    @extend_schema(operation_id="branches_list",
                   responses={200: BranchOutputSerializer(many=True), **errors(400, 401, 403)})
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.BranchOutputSerializer(page, many=True).data)

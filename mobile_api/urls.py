"""The volunteers' mobile API (/api/mobile/v1/). Its endpoints come with the mobile issue."""
urlpatterns: list = []

"""waffle-window's FlagMember, declared as waffle-window 0.1.0.dev0 (HEAD)
declares it: the package is not installable here. The table is
waffle_window_flagmember; both date bounds are inclusive."""
import datetime

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from waffle.models import Flag


class FlagMemberQuerySet(models.QuerySet):
    def active(self):
        today = datetime.date.today()
        return self.filter(start_date__lte=today, end_date__gte=today)


class FlagMember(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="members")
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField()

    objects = FlagMemberQuerySet.as_manager()

    def save(self, *args, **kwargs):
        if not self.created_at:
            self.created_at = timezone.now()
        super().save(*args, **kwargs)
        return self


def get_or_create_flag_group(flag_name):
    flag = Flag.objects.get(name=flag_name)
    group = Group.objects.get_or_create(name="WAFFLE_" + str(flag_name))[0]
    flag.groups.add(group)
    return group


def sync_flag_membership(flag_name):
    """What waffle-window's sync_flag_membership does, step for step."""
    active = FlagMember.objects.filter(flag__name=flag_name).active()
    n = active.count()
    group = get_or_create_flag_group(flag_name)
    group.user_set.clear()
    group.user_set.add(*[m.user for m in active])
    return n

"""Sync failures, each with a plain Chinese message that says what to do.

``SyncError.kind`` is one of the keys of :data:`MESSAGES`. ``transient`` kinds are retried
(with backoff) by the transport and by the background agent; the others need a person.
"""

from __future__ import annotations

from pzh_core.i18n import tr

C = "Sync"

# kind -> message template; {detail} is filled where the template has it.
MESSAGES: dict[str, str] = {
    "offline": "无法连接同步服务器（{detail}）。请检查网络连接；本机的修改已安全保存，联网后"
    "会自动同步。",
    "timeout": "连接同步服务器超时（网络太慢或不稳定）。本机的修改已安全保存，稍后会自动重试。",
    "tls": "无法验证同步服务器的安全证书（{detail}）。请确认服务器地址正确、电脑日期正确；"
    "如果市里使用自己的证书，请在设置中指定CA证书文件（ca_bundle），或联系县文化馆信息员。",
    "ca_missing": "找不到设置中指定的CA证书文件：{detail}。请检查设置中的 ca_bundle，或联系县"
    "文化馆信息员。",
    "unauthorized": "服务器不再接受本机的同步凭证（本机可能已被管理员停用）。请向管理员索取新"
    "的注册码，"
    "在“同步”页重新注册本机。本机的数据不会丢失，重新注册后会全部上传。",
    "forbidden": "服务器拒绝了本机的请求（{detail}）。请联系县文化馆信息员。",
    "upgrade": "本机的文化站工作台版本过旧，同步服务器不再支持。请安装新版本后再同步；本机的"
    "数据不会丢失。",
    "server_too_old": "市同步服务器的版本比本机的文化站工作台旧，暂时不能同步。请联系县文化馆"
    "信息员升级服务器；本机的数据不会丢失。",
    "refused": "服务器拒绝了本机发送的数据（{detail}）。本机的数据仍然保留，请联系县文化馆信息员。",
    "throttled": "同步过于频繁，服务器要求稍后再试。稍后会自动重试。",
    "server_error": "同步服务器暂时出错（{detail}）。稍后会自动重试；如果一直失败，请联系县文"
    "化馆信息员。",
    "bad_response": "同步服务器的回答不完整或无法识别（{detail}）。稍后会自动重试；如果一直失"
    "败，请检查服务器地址是否正确。",
    "bad_code": "注册码无效、已使用或已过期（{detail}）。请向管理员索取新的注册码。",
    "bad_url": "服务器地址无效：{detail}。地址应类似 https://sync.example.cn",
    "not_enrolled": "本机尚未注册到同步服务器。请在“同步”页输入服务器地址和注册码（或运行"
    " pzh-station enroll）。",
    "other_station": "本机已经属于另一个文化站（{detail}），不能用这个注册码加入其他文化站。"
    "如确需更换，请联系县文化馆信息员。",
    "no_station": "本机还没有文化站信息。请先完成首次设置，或用注册码注册本机（文化站信息会从"
    "服务器取得）。",
    "cancelled": "同步已取消；已传送的部分已保存，其余的下次同步时继续。",
    "rekey_required": "本机的数据文件与上次同步时的不是同一份（从备份恢复过，或复制了数据文件夹）。"
    "本机会以新的设备身份重新同步，取回服务器上的全部数据；如果一直出现，请联系县文化馆信息员。",
}

TRANSIENT = frozenset({"offline", "timeout", "throttled", "server_error", "bad_response"})


class SyncError(Exception):
    """A sync that did not complete.

    :param kind: a key of :data:`MESSAGES`.
    :param detail: what exactly happened (a server message, an address, an HTTP status).
    :param retry_after: seconds the server asked us to wait (429), if it said.
    """

    def __init__(self, kind: str, detail: str = "", *, retry_after: float | None = None) -> None:
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after
        template = MESSAGES.get(kind, "同步失败（{detail}）。")
        self.message = tr(C, template).format(detail=detail or "-")
        super().__init__(self.message)

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed without anyone doing anything."""
        return self.kind in TRANSIENT

    @property
    def needs_enrollment(self) -> bool:
        return self.kind in ("unauthorized", "not_enrolled")

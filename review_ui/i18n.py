"""Interface strings of the review screen: Vietnamese first, English switchable.

One flat dict per language; every label and message the clerks see comes from here so a
missing translation is caught by a test (both languages must have the same keys).
"""

from __future__ import annotations

DEFAULT_LANG = "vi"

VI: dict[str, str] = {
    "app_title": "Rà soát sổ hộ tịch",
    "tab_entry": "Nhập liệu",
    "tab_sweep": "Rà theo trường",
    "tab_approve": "Phê duyệt",
    "tab_dashboard": "Tiến độ",
    "lang": "Ngôn ngữ",
    "book": "Sổ",
    "all_books": "Tất cả các sổ",
    "start": "Bắt đầu",
    "confirm": "Xác nhận (Ctrl+Enter)",
    "skip": "Bỏ qua (Alt+S)",
    "illegible": "Không đọc được",
    "reload": "Tải lại",
    "logout": "Đăng xuất",
    "keys_help": (
        "Tab: trường kế tiếp · Enter: trường kế tiếp · Ctrl+Enter: xác nhận và sang bản ghi sau"
        " · Alt+S: bỏ qua · Ctrl+I: đánh dấu trường đang chọn là không đọc được"
        " · Alt+1..4: chọn gợi ý"
    ),
    "user_line": "Người dùng: {user} ({role})",
    "role_clerk": "cán bộ nhập liệu",
    "role_approver": "người phê duyệt",
    "role_admin": "quản trị",
    "entry_header": "{book} · trang {page} · dòng {row} · phiên bản {version}",
    "remaining": "còn {n} bản ghi chờ",
    "queue_empty": "Không còn bản ghi nào chờ rà soát trong sổ này.",
    "confirmed_ok": "Đã xác nhận bản ghi #{entry}. Đã lưu.",
    "stale": (
        "Bản ghi #{entry} vừa được người khác thay đổi. Đã tải lại bản mới nhất, "
        "vui lòng kiểm tra lại."
    ),
    "errors_block": "Còn lỗi ở các trường được tô đỏ. Sửa lại, hoặc nhấn Ctrl+Enter lần nữa để "
    "xác nhận vẫn giữ nguyên như trong sổ.",
    "skipped": "Đã bỏ qua bản ghi #{entry}.",
    "not_claimed": "Bản ghi này không còn được giữ cho bạn (hết thời gian). Đã lấy bản ghi mới.",
    "low_conf": "độ tin cậy thấp ({conf:.0%})",
    "normalised": "Chuẩn hoá: {value}",
    "suggest": "Gợi ý:",
    "note_from_approver": "Ghi chú của người phê duyệt: {note}",
    "no_role": "Tài khoản không có quyền dùng màn hình này.",
    "forbidden": "Chỉ người phê duyệt hoặc quản trị mới dùng được chức năng này.",
    # sweep
    "sweep_field": "Trường",
    "sweep_only_low": "Chỉ trường có độ tin cậy thấp",
    "sweep_load": "Tải danh sách",
    "sweep_save": "Xác nhận các dòng đã xem",
    "sweep_empty": "Không có bản ghi nào phù hợp.",
    "sweep_done": "Đã xem hết danh sách.",
    "sweep_saved": "Đã lưu {n} bản ghi; {stale} bản ghi bị người khác thay đổi (bỏ qua).",
    "sweep_more": "Đang hiện {shown} / {total} bản ghi.",
    # approver
    "progress": "Tiến độ",
    "validation_report": "Kiểm tra dữ liệu",
    "problems": "Bản ghi có vấn đề",
    "approve_book": "Phê duyệt sổ",
    "approved_n": "Đã phê duyệt {n} bản ghi của sổ {book}.",
    "approve_blocked": "Còn {n} bản ghi chưa xác nhận: sổ chưa thể phê duyệt hết.",
    "send_back": "Trả lại để sửa",
    "send_back_ids": "Số hiệu bản ghi (cách nhau bởi dấu phẩy)",
    "send_back_note": "Ghi chú cho người nhập",
    "sent_back_n": "Đã trả lại {n} bản ghi.",
    "send_back_none": "Chưa nhập số hiệu bản ghi hợp lệ.",
    "refresh": "Làm mới",
    "no_problems": "Không có lỗi.",
    # dashboard
    "per_book": "Theo sổ",
    "per_commune": "Theo xã",
    "per_clerk": "Theo người nhập",
    "per_hour": "Bản ghi xác nhận mỗi giờ",
    "col_book": "Sổ",
    "col_commune": "Xã",
    "col_clerk": "Người nhập",
    "col_total": "Tổng",
    "col_done": "Đã xác nhận",
    "col_approved": "Đã duyệt",
    "col_open": "Chờ rà soát",
    "col_pct": "% xong",
    "col_confirmed": "Đã xác nhận",
    "col_hour": "Giờ",
    "col_count": "Số bản ghi",
    "col_entry": "Bản ghi",
    "col_field": "Trường",
    "col_message": "Nội dung",
    "col_severity": "Mức",
    "col_status": "Trạng thái",
    "col_value": "Giá trị",
    "col_corrected": "Trường đã sửa",
    "col_first": "Bắt đầu (UTC)",
    "col_last": "Gần nhất (UTC)",
}

EN: dict[str, str] = {
    "app_title": "Civil-status register review",
    "tab_entry": "Entry",
    "tab_sweep": "Field sweep",
    "tab_approve": "Approve",
    "tab_dashboard": "Progress",
    "lang": "Language",
    "book": "Book",
    "all_books": "All books",
    "start": "Start",
    "confirm": "Confirm (Ctrl+Enter)",
    "skip": "Skip (Alt+S)",
    "illegible": "Illegible",
    "reload": "Reload",
    "logout": "Log out",
    "keys_help": (
        "Tab: next field · Enter: next field · Ctrl+Enter: confirm and load the next entry"
        " · Alt+S: skip · Ctrl+I: mark the focused field illegible · Alt+1..4: take a suggestion"
    ),
    "user_line": "User: {user} ({role})",
    "role_clerk": "clerk",
    "role_approver": "approver",
    "role_admin": "admin",
    "entry_header": "{book} · page {page} · row {row} · version {version}",
    "remaining": "{n} entries waiting",
    "queue_empty": "No entries left to review in this book.",
    "confirmed_ok": "Entry #{entry} confirmed and saved.",
    "stale": "Entry #{entry} was just changed by someone else. Reloaded the latest version; "
    "please check it again.",
    "errors_block": "Fields in red still have errors. Correct them, or press Ctrl+Enter again to "
    "confirm them as written in the register.",
    "skipped": "Skipped entry #{entry}.",
    "not_claimed": "This entry is no longer held for you (lease expired). Loaded a new one.",
    "low_conf": "low confidence ({conf:.0%})",
    "normalised": "Normalised: {value}",
    "suggest": "Suggestions:",
    "note_from_approver": "Approver's note: {note}",
    "no_role": "This account has no access to this screen.",
    "forbidden": "Only approvers or admins can use this.",
    "sweep_field": "Field",
    "sweep_only_low": "Low-confidence only",
    "sweep_load": "Load",
    "sweep_save": "Confirm the rows shown",
    "sweep_empty": "No matching entries.",
    "sweep_done": "End of the list.",
    "sweep_saved": "Saved {n} entries; {stale} changed by someone else (skipped).",
    "sweep_more": "Showing {shown} / {total} entries.",
    "progress": "Progress",
    "validation_report": "Validation",
    "problems": "Entries with problems",
    "approve_book": "Approve book",
    "approved_n": "Approved {n} entries of book {book}.",
    "approve_blocked": "{n} entries are not confirmed yet: the book cannot be fully approved.",
    "send_back": "Send back",
    "send_back_ids": "Entry ids (comma separated)",
    "send_back_note": "Note for the clerk",
    "sent_back_n": "Sent back {n} entries.",
    "send_back_none": "No valid entry id given.",
    "refresh": "Refresh",
    "no_problems": "No problems.",
    "per_book": "Per book",
    "per_commune": "Per commune",
    "per_clerk": "Per clerk",
    "per_hour": "Entries confirmed per hour",
    "col_book": "Book",
    "col_commune": "Commune",
    "col_clerk": "Clerk",
    "col_total": "Total",
    "col_done": "Confirmed",
    "col_approved": "Approved",
    "col_open": "To review",
    "col_pct": "% done",
    "col_confirmed": "Confirmed",
    "col_hour": "Hour",
    "col_count": "Entries",
    "col_entry": "Entry",
    "col_field": "Field",
    "col_message": "Message",
    "col_severity": "Severity",
    "col_status": "Status",
    "col_value": "Value",
    "col_corrected": "Fields corrected",
    "col_first": "First (UTC)",
    "col_last": "Last (UTC)",
}

STRINGS: dict[str, dict[str, str]] = {"vi": VI, "en": EN}
LANGUAGES: list[tuple[str, str]] = [("Tiếng Việt", "vi"), ("English", "en")]


def t(lang: str | None, key: str, **kwargs: object) -> str:
    """The string ``key`` in ``lang`` (Vietnamese when unknown), formatted with ``kwargs``."""
    table = STRINGS.get(lang or DEFAULT_LANG, VI)
    text = table.get(key) or VI.get(key) or key
    return text.format(**kwargs) if kwargs else text

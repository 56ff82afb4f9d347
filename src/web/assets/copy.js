// The copy buttons: hidden in the markup (the page works without script), shown and wired
// here. Copies the text of the element the button names, as shown (spaces are ignored when
// a password is checked).
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var target = document.getElementById(button.getAttribute("data-copy"));
  if (!target || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.textContent).then(function () {
      button.textContent = "Copied";
    });
  });
});
